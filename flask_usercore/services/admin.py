"""The admin API's rules (docs/admin.md), also used by ``flask usercore users ...``: find
and search accounts, disable and enable them, end their sessions, reset their MFA, give and
take roles, delete them, and the audit of all of it.

Every action is recorded with who did it (an :class:`~flask_usercore.models.AdminAuditEntry`
in the action's transaction) and announced after the commit
(:data:`~flask_usercore.signals.admin_action`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from .. import signals
from ..commands.admin import AuditQuery, UserSearch
from ..errors import N_, Conflict, Message, NotFound
from ..models import AdminAuditEntry, Credential, OAuth2AuthorizationCode, OAuth2Consent, User
from ..models.roles import Role, user_roles
from ..security.identity import email_key
from .context import Auth, Deps, after_commit
from .mfa_setup import reset_mfa
from .roles import assign_role, find_role, withdraw_role
from .sessions import revoke_sessions
from .users import remove_account

_WITH_ROLES = (selectinload(User.roles), joinedload(User.mfa))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an admin action: a user (``user_id``, ``name`` their e-mail address),
    or the command line (``user_id`` None, ``name`` ``"cli"``)."""

    user_id: uuid.UUID | None
    name: str

    @classmethod
    def of(cls, auth: Auth) -> Actor:
        """The caller of an admin operation."""
        return cls(auth.user.id, auth.user.email)


#: The actor of ``flask usercore`` commands.
CLI = Actor(None, "cli")


def record(deps: Deps, actor: Actor, action: str, target: uuid.UUID | None,
           **details: Any) -> AdminAuditEntry:
    """Record ``action`` of ``actor`` on the account ``target`` in the audit; announce it
    (:data:`~flask_usercore.signals.admin_action`) after the commit."""
    entry = AdminAuditEntry(actor_id=actor.user_id, actor=actor.name[:254], action=action,
                            target_user_id=target, created_at=deps.clock(),
                            details={k: v for k, v in details.items() if v is not None})
    deps.session.add(entry)
    after_commit(deps, lambda: signals.admin_action.send(deps.sender, entry=entry))
    return entry


def find_user(deps: Deps, user_id: str | uuid.UUID) -> User:
    """The account with the id ``user_id`` or, for a string with ``@``, the e-mail address;
    404 when there is none."""
    if isinstance(user_id, str) and "@" in user_id:
        found = deps.session.scalars(select(User).options(*_WITH_ROLES)
                                     .where(User.email_key == email_key(user_id))).first()
    else:
        try:
            wanted = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id)
        except ValueError:
            raise NotFound(N_("there is no such user")) from None
        found = deps.session.get(User, wanted, options=_WITH_ROLES)
    if found is None:
        raise NotFound(N_("there is no such user"))
    return found


def _criteria(search: UserSearch) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = [true()]
    if search.q:
        text = search.q.casefold()
        criteria.append(or_(
            User.email_key.contains(text, autoescape=True),
            *(func.lower(column).contains(search.q.lower(), autoescape=True)
              for column in (User.first_name, User.last_name, User.nickname,
                             User.display_name))))
    if search.disabled is not None:
        criteria.append(User.disabled_at.is_not(None) if search.disabled
                        else User.disabled_at.is_(None))
    if search.role is not None:
        criteria.append(User.id.in_(select(user_roles.c.user_id).join(Role).where(
            Role.name == search.role)))
    return criteria


def search_users(deps: Deps, search: UserSearch) -> tuple[Sequence[User], int]:
    """One page of the accounts that match ``search``, oldest first, and how many match."""
    criteria = _criteria(search)
    total = deps.session.scalar(select(func.count()).select_from(User).where(*criteria))
    users: Sequence[User] = []
    if search.limit:
        users = deps.session.scalars(
            select(User).options(*_WITH_ROLES).where(*criteria)
            .order_by(User.created_at, User.id).offset(search.skip).limit(search.limit)).all()
    return users, int(total or 0)


def _not_self(actor: Actor, user: User, what: Message) -> None:
    if actor.user_id == user.id:
        raise Conflict(N_("you may not %(action)s your own account through the admin API",
                          action=what))


def end_all_credentials(deps: Deps, user: User) -> int:
    """End every credential of ``user`` (sessions, API tokens, retrieval keys, OAuth2
    tokens) and its OAuth2 grants (consents, pending authorization codes); the number of
    credentials ended."""
    result = deps.session.execute(delete(Credential).where(Credential.user_id == user.id)
                                  .execution_options(synchronize_session=False))
    for model in (OAuth2AuthorizationCode, OAuth2Consent):
        deps.session.execute(delete(model).where(model.user_id == user.id)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))


def disable_user(deps: Deps, actor: Actor, user: User, reason: str | None = None) -> int:
    """Disable ``user``: no login any more (``AccountDisabled``) and every credential and
    OAuth2 grant ended (:func:`end_all_credentials`); the number of credentials ended.
    Disabling a disabled account ends what is left again. 409 for the actor's own account."""
    _not_self(actor, user, N_("disable"))
    if user.disabled_at is None:
        user.disabled_at = deps.clock()
    ended = end_all_credentials(deps, user)
    record(deps, actor, "disable", user.id, reason=reason, credentialsEnded=ended)
    user_actor = None if actor.user_id is None else deps.session.get(User, actor.user_id)
    after_commit(deps, lambda: signals.user_disabled.send(deps.sender, user=user,
                                                          actor=user_actor))
    return ended


def enable_user(deps: Deps, actor: Actor, user: User) -> bool:
    """Let a disabled ``user`` log in again; False when it was not disabled."""
    was_disabled = user.disabled_at is not None
    user.disabled_at = None
    record(deps, actor, "enable", user.id, wasDisabled=was_disabled)
    user_actor = None if actor.user_id is None else deps.session.get(User, actor.user_id)
    after_commit(deps, lambda: signals.user_enabled.send(deps.sender, user=user,
                                                         actor=user_actor))
    return was_disabled


def end_sessions(deps: Deps, actor: Actor, user: User) -> int:
    """End every session of ``user`` (API and OAuth2 tokens stay); how many rows ended."""
    ended = revoke_sessions(deps, user.id)
    record(deps, actor, "end-sessions", user.id, credentialsEnded=ended)
    return ended


def reset_user_mfa(deps: Deps, actor: Actor, user: User) -> None:
    """Turn MFA off for ``user`` (:func:`~.mfa_setup.reset_mfa`: sessions ended, the user
    mailed); 400 ``MfaNotInitialized`` when it has none."""
    ended = reset_mfa(deps, user)
    record(deps, actor, "reset-mfa", user.id, credentialsEnded=ended)


def add_role(deps: Deps, actor: Actor, user: User, role_name: str) -> bool:
    """Give ``user`` the role ``role_name`` (404 when there is no such role); False when it
    held it already."""
    changed = assign_role(deps, user, find_role(deps, role_name))
    record(deps, actor, "add-role", user.id, role=role_name, changed=changed)
    return changed


def remove_role(deps: Deps, actor: Actor, user: User, role_name: str) -> bool:
    """Take the role ``role_name`` from ``user``; False when it did not hold it."""
    changed = withdraw_role(deps, user, find_role(deps, role_name))
    record(deps, actor, "remove-role", user.id, role=role_name, changed=changed)
    return changed


def delete_user(deps: Deps, actor: Actor, user: User) -> None:
    """Delete ``user`` and all its rows (:func:`~.users.remove_account`; 409 while rows of
    the host refer to it without a cascade). 409 for the actor's own account."""
    _not_self(actor, user, N_("delete"))
    record(deps, actor, "delete", user.id, email=user.email)
    remove_account(deps, user)


def list_audit(deps: Deps, query: AuditQuery) -> tuple[Sequence[AdminAuditEntry], int]:
    """One page of the audit, newest first, and how many entries match."""
    criteria: list[ColumnElement[bool]] = [true()]
    if query.user_id is not None:
        criteria.append(AdminAuditEntry.target_user_id == query.user_id)
    if query.action is not None:
        criteria.append(AdminAuditEntry.action == query.action)
    total = deps.session.scalar(select(func.count()).select_from(AdminAuditEntry)
                                .where(*criteria))
    entries: Sequence[AdminAuditEntry] = []
    if query.limit:
        entries = deps.session.scalars(
            select(AdminAuditEntry).where(*criteria)
            .order_by(AdminAuditEntry.created_at.desc(), AdminAuditEntry.id)
            .offset(query.skip).limit(query.limit)).all()
    return entries, int(total or 0)


__all__ = ["CLI", "Actor", "add_role", "delete_user", "disable_user", "enable_user",
           "end_all_credentials", "end_sessions", "find_user", "list_audit", "record",
           "remove_role", "reset_user_mfa", "search_users"]
