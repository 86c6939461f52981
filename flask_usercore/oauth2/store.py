"""OAuth2 codes and tokens as rows: issue, find, rotate, revoke (the rules; no Flask here).

A token is a credential row of kind ``oauth2``: the hash of its access token (an opaque token
or the whole JWT) in ``token_hash``, of its refresh token in ``refresh_hash``, its scopes in
``roles``, its client's ``client_id`` in ``description``, and in ``family_id`` the grant it
descends from (the authorization code's id, or a fresh id for a password grant). A refresh
replaces the row by a new one of the same family and leaves the old refresh token's hash in
a row of kind ``oauth2_spent_refresh``: presenting it again revokes the whole family. So does
a second use of an authorization code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from .. import signals
from ..models import Credential, CredentialKind, OAuth2AuthorizationCode, User
from ..security.tokens import hash_token
from ..services.context import ClientInfo, Deps, after_commit, expiry

_TOKEN_KINDS = (CredentialKind.OAUTH2, CredentialKind.OAUTH2_SPENT_REFRESH)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a new token is issued for: who, which client, which scopes, which family."""

    user: User
    client_id: str
    scope: str
    family_id: uuid.UUID
    grant_type: str


def save_code(deps: Deps, *, code: str, user: User, client_id: str, redirect_uri: str,
              scope: str, code_challenge: str | None, code_challenge_method: str | None,
              nonce: str | None,
              auth_time: dt.datetime | None = None) -> OAuth2AuthorizationCode:
    """Store a new authorization code (its hash), valid for ``USERCORE_OAUTH2_CODE_TTL``;
    ``auth_time``: when its user signed in (OpenID Connect's ``auth_time``)."""
    row = OAuth2AuthorizationCode(
        id=uuid.uuid4(), user_id=user.id, client_id=client_id, code_hash=hash_token(code),
        redirect_uri=redirect_uri, scope=scope, code_challenge=code_challenge or None,
        code_challenge_method=code_challenge_method if code_challenge else None,
        nonce=nonce or None, expires_at=expiry(deps.clock(), deps.config.oauth2_code_ttl),
        auth_time=auth_time, created_at=deps.clock())
    deps.session.add(row)
    return row


def use_code(deps: Deps, code: str, client_id: str) -> OAuth2AuthorizationCode | None:
    """The live code ``code`` of ``client_id``, now marked used; None when unknown, expired,
    of another client or already used.

    A second use revokes every token the first one issued, committed at once (the request
    itself fails). Marking the code used is a conditional UPDATE: of two parallel uses, one
    wins and the other counts as the second use.
    """
    now = deps.clock()
    row = deps.session.scalars(select(OAuth2AuthorizationCode).where(
        OAuth2AuthorizationCode.code_hash == hash_token(code))).first()
    if row is None or row.client_id != client_id:
        return None
    if row.used_at is None and row.expires_at > now:
        marked = deps.session.execute(
            update(OAuth2AuthorizationCode)
            .where(OAuth2AuthorizationCode.id == row.id,
                   OAuth2AuthorizationCode.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        if getattr(marked, "rowcount", 0) == 1:
            return row
    if row.used_at is not None or row.expires_at > now:  # used before, or just now
        revoke_family(deps, row.user_id, row.client_id, row.id, reason="code_reused")
    return None


def issue_token(deps: Deps, grant: TokenGrant, *, access_token: str,
                refresh_token: str | None, expires_in: int, client: ClientInfo,
                credential_id: uuid.UUID | None = None) -> Credential:
    """Store a new token of ``grant`` (``credential_id``: a JWT's ``jti``)."""
    now = deps.clock()
    credential = Credential(
        id=credential_id or uuid.uuid4(), user_id=grant.user.id, kind=CredentialKind.OAUTH2,
        token_hash=hash_token(access_token),
        refresh_hash=hash_token(refresh_token) if refresh_token else None,
        family_id=grant.family_id, description=grant.client_id, roles=grant.scope or None,
        expires_at=now + dt.timedelta(seconds=expires_in),
        refresh_expires_at=(expiry(now, deps.config.oauth2_refresh_token_ttl)
                            if refresh_token else None),
        user_agent=(client.user_agent or "")[:512] or None, ip_address=client.ip_address,
        created_at=now)
    deps.session.add(credential)
    user, grant_type = grant.user, grant.grant_type
    after_commit(deps, lambda: signals.oauth2_token_issued.send(
        deps.sender, user=user, client_id=credential.description, credential=credential,
        grant_type=grant_type))
    return credential


def find_by_refresh_token(deps: Deps, refresh_token: str) -> Credential | None:
    """The live token whose refresh token this is.

    A rotated refresh token presented again is a reuse: the family is revoked (committed at
    once) and None returned, as for an unknown or expired one.
    """
    now = deps.clock()
    digest = hash_token(refresh_token)
    credential = deps.session.scalars(select(Credential).where(
        Credential.refresh_hash == digest, Credential.kind == CredentialKind.OAUTH2)).first()
    if credential is not None:
        live = credential.refresh_expires_at is not None and credential.refresh_expires_at > now
        return credential if live else None
    spent = deps.session.scalars(select(Credential).where(
        Credential.token_hash == digest,
        Credential.kind == CredentialKind.OAUTH2_SPENT_REFRESH)).first()
    if spent is not None and spent.family_id is not None and spent.description:
        revoke_family(deps, spent.user_id, spent.description, spent.family_id,
                      reason="refresh_token_reused")
    return None


def retire_refresh_token(deps: Deps, old: Credential) -> bool:
    """Replace ``old`` (just refreshed) by a spent-refresh row; False when another request
    rotated it first (the caller then fails its own refresh)."""
    removed = deps.session.execute(
        delete(Credential).where(Credential.id == old.id,
                                 Credential.refresh_hash == old.refresh_hash)
        .execution_options(synchronize_session=False))
    if getattr(removed, "rowcount", 0) != 1:
        return False
    deps.session.add(Credential(
        user_id=old.user_id, kind=CredentialKind.OAUTH2_SPENT_REFRESH,
        token_hash=old.refresh_hash, family_id=old.family_id, description=old.description,
        expires_at=old.refresh_expires_at))
    return True


def revoke_family(deps: Deps, user_id: uuid.UUID, client_id: str, family_id: uuid.UUID, *,
                  reason: str) -> None:
    """Revoke the live tokens of one family, committed at once (the request that found the
    reuse fails with ``invalid_grant``), and signal it."""
    deps.uow.durable(delete(Credential).where(
        Credential.user_id == user_id, Credential.family_id == family_id,
        Credential.kind == CredentialKind.OAUTH2))
    signals.oauth2_token_revoked.send(deps.sender, user_id=user_id, client_id=client_id,
                                      reason=reason)


def find_token(deps: Deps, token: str,
               hint: str | None = None) -> tuple[Credential, str] | None:
    """The OAuth2 token row whose access or refresh token ``token`` is (live or expired),
    and which of the two it is (``access_token`` or ``refresh_token``).

    ``hint`` only says where to look first: a token of the other type is found too (RFC 7009
    2.1, RFC 7662 2.1).
    """
    digest = hash_token(token)
    columns = [("access_token", Credential.token_hash),
               ("refresh_token", Credential.refresh_hash)]
    if hint == "refresh_token":
        columns.reverse()
    for kind, column in columns:
        found = deps.session.scalars(select(Credential).where(
            column == digest, Credential.kind == CredentialKind.OAUTH2)).first()
        if found is not None:
            return found, kind
    return None


def revoke_token(deps: Deps, credential: Credential) -> None:
    """Revoke one token: its access and its refresh token (RFC 7009 2.1 allows both)."""
    deps.session.execute(delete(Credential).where(Credential.id == credential.id)
                         .execution_options(synchronize_session=False))
    user_id, client_id = credential.user_id, credential.description
    after_commit(deps, lambda: signals.oauth2_token_revoked.send(
        deps.sender, user_id=user_id, client_id=client_id, reason="revoked"))


def revoke_client_tokens(deps: Deps, user_id: uuid.UUID, client_id: str) -> int:
    """Revoke every token ``client_id`` holds for ``user_id`` (and its spent refresh rows)."""
    result = deps.session.execute(
        delete(Credential).where(Credential.user_id == user_id,
                                 Credential.kind.in_([str(k) for k in _TOKEN_KINDS]),
                                 Credential.description == client_id)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))
