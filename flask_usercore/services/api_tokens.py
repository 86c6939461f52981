"""API tokens: long-lived bearer tokens a user makes for scripts, with roles ``api_read``
(safe methods) and ``api_write`` (all methods), never allowed to manage credentials
(``services/access.py``).

A token reads ``<apiTokenId>:<secret>:usercore_at`` (the shape of mittwald's example, with our
own suffix so that secret scanners can recognize a leaked one); it is shown once, and only its
SHA-256 is stored, in the credentials table (kind ``api_token``, roles in ``roles``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.sql.expression import ColumnElement

from ..commands.api_tokens import CreateApiToken, EditApiToken
from ..errors import N_, NotFound, PermissionDenied, ValidationFailed
from ..models import ADMIN_PERMISSION, Credential, CredentialKind, User
from ..security.tokens import hash_token, new_token
from .context import Auth, Deps

#: The last part of every API token.
API_TOKEN_SUFFIX = "usercore_at"  # noqa: S105 (a fixed marker, not a secret)


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    """One API token as ``ApiToken`` shows it (never its secret)."""

    api_token_id: uuid.UUID
    created_at: dt.datetime
    description: str
    roles: list[str]
    expires_at: dt.datetime | None
    last_used: dt.datetime | None


def _info(row: Credential, pending: dt.datetime | None) -> ApiTokenInfo:
    last = row.last_used_at
    if pending is not None and (last is None or pending > last):
        last = pending
    return ApiTokenInfo(row.id, row.created_at, row.description or "",
                        (row.roles or "").split(), row.expires_at, last)


def _own(auth: Auth) -> ColumnElement[bool]:
    return and_(Credential.user_id == auth.user.id, Credential.kind == CredentialKind.API_TOKEN)


def _parse_id(api_token_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(api_token_id)
    except ValueError:
        raise NotFound(N_("there is no such API token")) from None


def create_api_token(deps: Deps, auth: Auth, command: CreateApiToken) -> str:
    """Store a new API token of the caller and return it in clear (shown once).

    400 ``ApiTokenLimitReached`` when the user already holds ``USERCORE_MAX_API_TOKENS``
    live tokens (the user's row is locked meanwhile on PostgreSQL, so parallel creations
    count one after the other). The role ``usercore.admin`` (the admin API) only for a user
    who holds that permission (403 ``PermissionDenied``).
    """
    if ADMIN_PERMISSION in command.roles and not auth.user.has_permission(ADMIN_PERMISSION):
        raise PermissionDenied(permissions={ADMIN_PERMISSION}, message=(
            N_("only a holder of the permission usercore.admin may create an API token with it")))
    now = deps.clock()
    deps.session.execute(select(User.id).where(User.id == auth.user.id).with_for_update())
    held = deps.session.scalar(
        select(func.count()).select_from(Credential)
        .where(_own(auth), or_(Credential.expires_at.is_(None), Credential.expires_at > now)))
    if (held or 0) >= deps.config.max_api_tokens:
        raise ValidationFailed.single(
            "", "ApiTokenLimitReached",
            N_("a user may hold at most %(count)s API tokens: delete one first",
               count=deps.config.max_api_tokens))
    token_id = uuid.uuid4()
    token = f"{token_id}:{new_token()}:{API_TOKEN_SUFFIX}"
    deps.session.add(Credential(
        id=token_id, user_id=auth.user.id, kind=CredentialKind.API_TOKEN,
        token_hash=hash_token(token), description=command.description,
        roles=" ".join(sorted(set(command.roles))), expires_at=command.expires_at,
        created_at=now))
    return token


def list_api_tokens(deps: Deps, auth: Auth, *, limit: int,
                    skip: int) -> tuple[list[ApiTokenInfo], int]:
    """One page of the caller's API tokens, newest first, and how many there are."""
    total = deps.session.scalar(select(func.count()).select_from(Credential).where(_own(auth)))
    rows: Sequence[Credential] = []
    if limit:
        rows = deps.session.scalars(
            select(Credential).where(_own(auth))
            .order_by(Credential.created_at.desc(), Credential.id)
            .offset(skip).limit(limit)).all()
    pending = deps.last_access.pending_many([row.id for row in rows])
    return [_info(row, pending.get(row.id)) for row in rows], int(total or 0)


def get_api_token(deps: Deps, auth: Auth, api_token_id: str) -> ApiTokenInfo:
    """One of the caller's API tokens; 404 for an unknown id or another user's token."""
    row = deps.session.scalars(select(Credential).where(
        Credential.id == _parse_id(api_token_id), _own(auth))).first()
    if row is None:
        raise NotFound(N_("there is no such API token"))
    return _info(row, deps.last_access.pending(row.id))


def update_api_token(deps: Deps, auth: Auth, api_token_id: str, command: EditApiToken) -> None:
    """Replace the description and expiry of one of the caller's API tokens (404 if none)."""
    result = deps.session.execute(
        update(Credential).where(Credential.id == _parse_id(api_token_id), _own(auth))
        .values(description=command.description, expires_at=command.expires_at)
        .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        raise NotFound(N_("there is no such API token"))


def delete_api_token(deps: Deps, auth: Auth, api_token_id: str) -> None:
    """Revoke one of the caller's API tokens at once (404 if none)."""
    result = deps.session.execute(
        delete(Credential).where(Credential.id == _parse_id(api_token_id), _own(auth))
        .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        raise NotFound(N_("there is no such API token"))
