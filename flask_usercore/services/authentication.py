"""Login, logout and the resolution of a presented token to its user and session."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, literal_column, select, text, update
from sqlalchemy.orm import joinedload, load_only

from .. import signals
from ..errors import SecondFactorRequired, WrongCredentials
from ..models import Credential, CredentialKind, User, utcnow
from ..security.identity import email_key
from ..security.tokens import hash_token, new_token
from .access import BEARER_KINDS
from .context import Auth, ClientInfo, Deps, after_commit, expiry
from .mfa import check_second_factor
from .users import find_by_email

#: ``last_used_at`` is written at most this often per credential, to keep reads read-only.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

#: The token lookup, built once: building the statement and its cache key on every request
#: cost about a quarter of an authenticated read (benchmarks/README.md).
#: Only bearer kinds are found: a retrieval key's row is never a bearer token.
_BY_TOKEN_HASH = (select(Credential)
                  .options(load_only(Credential.id, Credential.user_id, Credential.kind,
                                     Credential.roles, Credential.expires_at,
                                     Credential.last_used_at),
                           joinedload(Credential.user).joinedload(User.mfa))
                  .where(Credential.token_hash == bindparam("token_hash"),
                         # inline literals: an IN of bound parameters is re-expanded
                         # on every execution
                         Credential.kind.in_([literal_column(f"'{kind}'")
                                              for kind in sorted(BEARER_KINDS)])))


def _without_flush_wait(deps: Deps) -> None:
    """Let this transaction's commit return before PostgreSQL flushes its WAL to disk.

    Only for writes whose loss in a server crash is harmless: a new session (the client
    logs in again) and last-access bookkeeping. The database stays consistent either way;
    revocations, password and account changes keep the full durability.
    """
    if deps.session.get_bind(Credential).dialect.name == "postgresql":
        deps.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: its row and the two secrets, shown once."""

    credential: Credential
    token: str
    refresh_token: str
    #: When the access token expires (kept here: reading the committed row would cost a query).
    expires: dt.datetime


def check_password_login(deps: Deps, email: str, password: str) -> User:
    """The user whose e-mail and password these are, else 401 ``WrongCredentials``.

    Costs one argon2 verify whether or not the account exists. Rehashes the password when the
    argon2 parameters changed. A wrong password counts as a failure of the address's account
    (:class:`~flask_usercore.lockout.Lockout`), known or not; while it is locked, the login is
    refused with 429 before anything is looked up or compared (the right password too).
    """
    account = email_key(email)
    deps.lockout.check(account)
    user = find_by_email(deps, email)
    if user is None:
        deps.hasher.verify_dummy(password)
    if user is None or not deps.hasher.verify(user.password_hash, password):
        deps.lockout.failed(account)
        signals.login_failed.send(deps.sender, email=email, reason="WrongCredentials")
        raise WrongCredentials()
    if deps.hasher.needs_rehash(user.password_hash):
        user.password_hash = deps.hasher.hash(password)
    if deps.config.require_verified_email and user.email_verified_at is None:
        signals.login_failed.send(deps.sender, email=email, reason="EmailAddressNotVerified")
        raise WrongCredentials("EmailAddressNotVerified",
                               "the e-mail address is not verified yet")
    return user


def start_session(deps: Deps, user: User, client: ClientInfo) -> IssuedSession:
    """Create a session credential with an access and a refresh token."""
    now = utcnow()
    token, refresh = new_token(), new_token()
    expires = expiry(now, deps.config.access_token_ttl)
    credential = Credential(  # the id is set here, not at flush: family_id repeats it
        id=uuid.uuid4(), user_id=user.id, kind=CredentialKind.SESSION,
        token_hash=hash_token(token), refresh_hash=hash_token(refresh), expires_at=expires,
        refresh_expires_at=expiry(now, deps.config.refresh_token_ttl), last_used_at=now,
        user_agent=(client.user_agent or "")[:512] or None, ip_address=client.ip_address,
        created_at=now)
    credential.family_id = credential.id
    deps.session.add(credential)
    _without_flush_wait(deps)
    after_commit(deps, lambda: signals.login_succeeded.send(deps.sender, user=user,
                                                            credential=credential))
    return IssuedSession(credential, token, refresh, expires)


def authenticate(deps: Deps, email: str, password: str, client: ClientInfo,
                 multi_factor_code: str | None = None) -> IssuedSession:
    """Log in with e-mail and password: a new session, or 202 when MFA asks for a code.

    Only the completed login (password and, with MFA, the second factor) forgets the account's
    failures, after the commit: a right password followed by a wrong code forgets nothing.
    """
    user = check_password_login(deps, email, password)
    if user.mfa_active and multi_factor_code is None:
        raise SecondFactorRequired("multi factor authentication is active for this user: "
                                   "call POST /v2/authenticate-mfa with multiFactorCode")
    check_second_factor(deps, user, multi_factor_code)
    account = user.email_key
    after_commit(deps, lambda: deps.lockout.succeeded(account))
    return start_session(deps, user, client)


def resolve_token(deps: Deps, token: str) -> Auth | None:
    """The caller behind a presented bearer token, or None when it is unknown or expired.

    One query (credential, user and MFA state joined) through the unique token-hash index.
    The last-use time is written at most once a minute, after the operation's commit, in a
    transaction of its own.
    """
    now = utcnow()
    credential = deps.session.scalars(_BY_TOKEN_HASH,
                                      {"token_hash": hash_token(token)}).first()
    if credential is None or (credential.expires_at is not None and credential.expires_at <= now):
        return None
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        credential_id = credential.id

        def touch() -> None:
            _without_flush_wait(deps)
            deps.session.execute(update(Credential).where(Credential.id == credential_id)
                                 .values(last_used_at=now))
            deps.session.commit()

        after_commit(deps, touch)
    scopes = frozenset(credential.roles.split()) if credential.roles else frozenset()
    return Auth(credential.user, credential, token, credential.kind, scopes)


def logout(deps: Deps, auth: Auth) -> None:
    """End the session (or revoke the credential) the request presented."""
    deps.session.execute(delete(Credential).where(Credential.id == auth.credential.id))
    after_commit(deps, lambda: signals.logged_out.send(deps.sender, user=auth.user,
                                                       credential=auth.credential))
