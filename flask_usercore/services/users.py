"""The user resource: read (own or visible), update the profile, delete the account."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import signals
from ..commands.account import DeleteAccount
from ..commands.users import ABSENT, MfaFlags, UpdateProfile
from ..errors import N_, Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from ..models import User
from ..models.sqlite import delete_dependents
from ..security.identity import email_key
from .context import Auth, Deps, after_commit
from .files import forget_after_commit, storage_keys
from .mfa import check_second_factor
from .passwords import check_current_password, forget_failures

logger = logging.getLogger("flask_usercore")

UNIQUE = {
    "email_key": ("email", "EmailInUse", N_("the e-mail address is already in use")),
    "nickname_lower": ("nickname", "NicknameInUse", N_("the nickname is already taken")),
}

#: Read-only fields of a write (of :class:`UpdateProfile`), with the current value each must
#: repeat.
READ_ONLY: dict[str, Callable[[User], Any]] = {
    "id": lambda u: u.id,
    "user_id": lambda u: u.id,
    "email": lambda u: u.email,
    "email_verified": lambda u: u.email_verified_at is not None,
    "mfa": lambda u: MfaFlags(active=u.mfa_active, setup=u.mfa_setup),
    "created_at": lambda u: _seconds(u.created_at),
    "registered_at": lambda u: _seconds(u.created_at),
    "password_updated_at": lambda u: _seconds(u.password_updated_at),
    "phone_number": lambda u: u.phone_number,
    "avatar_ref": lambda u: u.avatar_ref,
    "is_employee": lambda u: False,
    "customer_memberships": lambda u: {},
    "project_memberships": lambda u: {},
}
#: The writable fields of :class:`UpdateProfile` besides ``person``: user columns.
WRITABLE = ("nickname", "display_name", "company", "location", "country_code", "web_url",
            "picture_url", "account_type", "first_name", "last_name")


def _seconds(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.replace(microsecond=0)


def _comparable(name: str, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _seconds(value)
    if name == "email" and isinstance(value, str):
        return email_key(value)
    return value


def flush_unique(deps: Deps) -> None:
    """Flush pending rows; a clash on e-mail or nickname becomes a 400 naming the field."""
    try:
        deps.session.flush()
    except IntegrityError as exc:  # the operation rolls back
        text = str(exc.orig)
        for key, (path, kind, message) in UNIQUE.items():
            if key in text:  # the index name (PostgreSQL) or the column (SQLite)
                raise ValidationFailed.on(path, kind, message) from None
        raise


#: Built once (the statement and its cache key are not rebuilt on every login).
_BY_EMAIL = (select(User).options(joinedload(User.mfa))
             .where(User.email_key == bindparam("key")))


def find_by_email(deps: Deps, email: str) -> User | None:
    """The user whose address has the :func:`email_key` of ``email``, by its unique index.

    Takes any string (login does): one that is no valid address is looked up by its
    casefolded self, and so finds nobody, like an unknown address.

    The MFA state is joined in, so that the login's second-factor check needs no query.
    """
    return deps.session.scalars(_BY_EMAIL, {"key": email_key(email)}).first()


def nickname_taken(deps: Deps, nickname: str, *, other_than: uuid.UUID | None = None) -> bool:
    """True when another account uses ``nickname`` in any case."""
    query = select(User.id).where(func.lower(User.nickname) == nickname.lower())
    if other_than is not None:
        query = query.where(User.id != other_than)
    return deps.session.scalar(query) is not None


def resolve_user(deps: Deps, auth: Auth, user_id: str) -> tuple[User, bool]:
    """The user named by a ``{userId}`` path segment and whether the caller owns it.

    ``self`` and the caller's own id give the full resource. Another existing id gives the
    public profile when the host's visibility hook allows it, else 403; an id that is not a
    UUID is a 404.
    """
    if user_id == "self":
        return auth.user, True
    try:
        wanted = uuid.UUID(user_id)
    except ValueError:
        raise NotFound(N_("no user with this id")) from None
    if wanted == auth.user.id:
        return auth.user, True
    other = deps.session.get(User, wanted)
    if other is not None and deps.visibility.can_see(auth.user, other):
        return other, False
    raise Forbidden(N_("you may not see this user"))


def own_user(deps: Deps, auth: Auth, user_id: str) -> User:
    """Like :func:`resolve_user` for writes: only the caller's own account, else 403."""
    user, own = resolve_user(deps, auth, user_id)
    if not own:
        raise Forbidden(N_("you may only change your own account"))
    return user


def update_profile(deps: Deps, user: User, command: UpdateProfile) -> set[str]:
    """Apply a profile write: ``person`` and/or Profile fields; returns the changed columns.

    Only the fields sent change (``None`` clears one). Read-only fields must repeat their
    current value (400 ``readOnly`` on each that does not); ``person`` and the
    ``first_name``/``last_name`` mirror must agree when both are given (``conflict``).
    """
    errors = [
        FieldError("", N_("this field is read-only"), "readOnly", field=name)
        for name, current in READ_ONLY.items()
        if (sent := getattr(command, name)) is not ABSENT
        and _comparable(name, sent) != _comparable(name, current(user))
    ]
    values: dict[str, Any] = {name: value for name in WRITABLE
                              if (value := getattr(command, name)) is not ABSENT}
    person = command.person
    if person is not ABSENT:
        for key in ("first_name", "last_name"):
            if values.get(key) == getattr(user, key):
                del values[key]  # the unchanged mirror of a GET body: person decides
            elif key in values and values[key] != getattr(person, key):
                errors.append(FieldError("", N_("differs from the same field in person"),
                                         "conflict", field=key))
        values.update(first_name=person.first_name, last_name=person.last_name,
                      title=person.title)
    if errors:
        raise ValidationFailed(errors, errors[0].message)
    if values.get("nickname") and nickname_taken(deps, values["nickname"], other_than=user.id):
        raise ValidationFailed.on(*UNIQUE["nickname_lower"])
    changed = {k for k, v in values.items() if getattr(user, k) != v}
    for key in changed:
        setattr(user, key, values[key])
    flush_unique(deps)
    if changed:
        after_commit(deps, lambda: signals.profile_updated.send(deps.sender, user=user,
                                                                changed=changed))
    return changed


def delete_account(deps: Deps, auth: Auth, command: DeleteAccount) -> None:
    """Delete the caller's account and every row that belongs to it, after the checks.

    The password must match (400 ``WrongPassword``); with MFA on, a
    second factor too (202 when missing, 400 ``MfaCodeNotValid`` when wrong). Wrong
    passwords and codes count against the account like wrong logins; while it is locked,
    429 before the password is compared.

    The host's rows that point at the account go as the host's foreign keys say: deleted
    with it (``ON DELETE CASCADE``), cleared (``SET NULL``), or, for a key without either,
    the deletion is refused with 409 ``Conflict`` and nothing is deleted.
    """
    user = auth.user
    check_current_password(deps, user, command.password or "")
    check_second_factor(deps, user, command.multi_factor_code, announce=False)
    forget_failures(deps, user.email_key)
    remove_account(deps, user)


def remove_account(deps: Deps, user: User) -> None:
    """Delete ``user`` and every row that belongs to it, without a check (the account
    deletion's and the admin's; 409 ``Conflict`` while rows of the host refer to it without
    a cascade); ``user_deleted`` is sent after the commit."""
    user_id, email = user.id, user.email
    # the stored avatar files go after the commit; their rows, like every row that belongs
    # to the user, with it: ON DELETE CASCADE, or where SQLite's foreign keys are off
    # (USERCORE_SQLITE_FOREIGN_KEYS = False) delete_dependents (models/sqlite.py)
    forget_after_commit(deps, storage_keys(deps, user_id))
    delete_dependents(deps.uow.connection(), User.__table__, User.id == user_id)
    try:
        deps.session.execute(delete(User).where(User.id == user_id))
    except IntegrityError as exc:  # the operation rolls back: nothing is deleted
        if not _foreign_key_violation(exc):
            raise
        # the host's own rows point at the account without ON DELETE CASCADE or SET NULL
        logger.warning("account %s not deleted: rows of the host app refer to it (%s)",
                       user_id, _first_line(exc))
        raise Conflict(N_("the account cannot be deleted while the app still holds records that "
                       "refer to it")) from None
    after_commit(deps, lambda: signals.user_deleted.send(deps.sender, user_id=user_id,
                                                         email=email))


def _foreign_key_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a refused foreign key (SQLite: "FOREIGN KEY constraint failed";
    PostgreSQL: SQLSTATE 23503, "violates foreign key constraint")."""
    return (getattr(exc.orig, "sqlstate", None) == "23503"
            or "foreign key" in str(exc.orig).lower())


def _first_line(exc: IntegrityError) -> str:
    """The database's message without its DETAIL lines (they repeat the values)."""
    return str(exc.orig).strip().splitlines()[0]
