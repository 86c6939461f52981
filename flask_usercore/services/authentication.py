"""Login, logout and the resolution of a presented token to its user and session."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import joinedload, load_only
from sqlalchemy.sql.schema import Table

from .. import signals
from ..commands.mfa import AuthenticateMfa
from ..errors import (
    N_,
    FirstFactorExpired,
    Unauthorized,
    ValidationFailed,
    WrongCredentials,
)
from ..models import Credential, CredentialKind, User
from ..models.mfa import MfaSecret
from ..runtime.unit_of_work import CLOSING_WRITE
from ..security.identity import email_key
from ..security.tokens import hash_token, new_token
from .access import BEARER_KINDS
from .context import Auth, ClientInfo, Deps, after_commit, expiry
from .mfa import check_second_factor, remember_first_factor, use_first_factor
from .passwords import forget_failures, verify_password
from .reauth import ONE_TIME_CODE, PASSWORD, methods
from .users import find_by_email

#: The token lookup, built once: building the statement and its cache key on every request
#: cost about a quarter of an authenticated read (benchmarks/README.md).
#: Only bearer kinds are found: a retrieval key's row is never a bearer token.
_LOOKUP = (select(Credential)
           .options(load_only(Credential.id, Credential.user_id, Credential.kind,
                              Credential.roles, Credential.expires_at,
                              Credential.authenticated_at, Credential.auth_methods))
           .where(Credential.token_hash == bindparam("token_hash"),
                  # inline literals: an IN of bound parameters is re-expanded
                  # on every execution
                  Credential.kind.in_([literal_column(f"'{kind}'")
                                       for kind in sorted(BEARER_KINDS)])))


def _lookup(mfa: bool, roles: bool) -> Select[Credential]:
    """The token lookup with the user joined in, and the user's MFA state and roles when
    asked (still one query)."""
    user = joinedload(Credential.user)
    statement = _LOOKUP.options(user.joinedload(User.mfa) if mfa else user)
    return statement.options(user.joinedload(User.roles)) if roles else statement


#: The lookups by (MFA state, roles) joined in.
_BY_TOKEN_HASH = {(mfa, roles): _lookup(mfa, roles) for mfa in (True, False)
                  for roles in (True, False)}


#: The login's lookup: the columns a password check reads and whether MFA is on, as one row
#: (no ORM objects; a user with MFA is loaded as an object only for the second factor).
_LOGIN_BY_EMAIL = (select(User.id, User.password_hash, User.email_key, User.email_verified_at,
                          User.disabled_at, MfaSecret.confirmed_at.label("mfa_confirmed_at"))
                   .outerjoin(MfaSecret, MfaSecret.user_id == User.id)
                   .where(User.email_key == bindparam("key")))
_USER_WITH_MFA = select(User).options(joinedload(User.mfa)).where(User.id == bindparam("uid"))
_REHASH = (update(User).where(User.id == bindparam("uid"))
           .values(password_hash=bindparam("new_hash")))
#: A new session's row, one Core ``INSERT``: the operation's closing write, which need not
#: wait for the disk (lost in a server crash, the client logs in again).
_INSERT_SESSION = (insert(cast(Table, Credential.__table__))
                   .execution_options(**{CLOSING_WRITE: True}))


class _LoginHolder(Protocol):
    """A user, or its login row: what a password login reads."""

    @property
    def password_hash(self) -> str: ...
    @property
    def email_verified_at(self) -> dt.datetime | None: ...
    @property
    def disabled_at(self) -> dt.datetime | None: ...


_Found = TypeVar("_Found", bound=_LoginHolder)


@dataclass(frozen=True, slots=True)
class SecondFactorChallenge:
    """The login's answer when the account has MFA on and no code came: the first factor
    is remembered (:func:`~.mfa.remember_first_factor`), complete it with a second one."""

    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: its row and the two secrets, shown once."""

    #: The credential, or a new session's column values as stored (written with one Core
    #: ``INSERT``, no ORM object: :attr:`credential` builds one when asked).
    stored: Credential | dict[str, Any]
    token: str
    refresh_token: str
    #: When the access token expires (kept here: reading the committed row would cost a query).
    expires: dt.datetime

    @property
    def credential(self) -> Credential:
        """The credential; a new session's as a transient :class:`Credential` (not attached
        to the ORM session), built on each access: a login that nobody asks about builds
        none."""
        stored = self.stored
        return stored if isinstance(stored, Credential) else Credential(**stored)


def _check_password(deps: Deps, email: str, password: str,
                    find: Callable[[], _Found | None]) -> _Found:
    """Raise 401 ``WrongCredentials`` unless what ``find`` gives (a user, or its login row)
    exists and ``password`` is its password (:func:`~.passwords.verify_password`: 429 while
    the account is locked, before ``find``); a failure is signalled. Then the
    ``EmailAddressNotVerified`` and ``AccountDisabled`` checks (after the password: they
    tell nothing to whoever does not know it)."""
    found = verify_password(deps, email_key(email), password, find)
    if found is None:
        signals.login_failed.send(deps.sender, email=email, reason="WrongCredentials")
        raise WrongCredentials()
    if deps.config.require_verified_email and found.email_verified_at is None:
        signals.login_failed.send(deps.sender, email=email, reason="EmailAddressNotVerified")
        raise WrongCredentials("EmailAddressNotVerified",
                               N_("the e-mail address is not verified yet"))
    if found.disabled_at is not None:
        signals.login_failed.send(deps.sender, email=email, reason="AccountDisabled")
        raise WrongCredentials("AccountDisabled", N_("this account has been disabled by an "
                                                  "administrator"))
    return found


def check_password_login(deps: Deps, email: str, password: str) -> User:
    """The user whose e-mail and password these are, else 401 ``WrongCredentials``.

    Costs one argon2 verify whether or not the account exists. Rehashes the password when the
    argon2 parameters changed. A wrong password counts as a failure of the address's account
    (:class:`~flask_usercore.runtime.lockout.Lockout`), known or not; while it is locked, the
    login is
    refused with 429 before anything is looked up or compared (the right password too).
    """
    user = _check_password(deps, email, password, lambda: find_by_email(deps, email))
    if deps.hasher.needs_rehash(user.password_hash):
        user.password_hash = deps.hasher.hash(password)
    return user


def start_session(deps: Deps, user: User | uuid.UUID, client: ClientInfo, *,
                  proof: str | None = None) -> IssuedSession:
    """Create a session credential with an access and a refresh token for ``user`` (the
    user, or only its id: the ``login_succeeded`` receivers then get the user loaded after
    the commit, by one query made only when a receiver is connected).

    ``proof``: how the user proved who they are just now (``auth_methods``, see
    :func:`~.reauth.methods`): the session is fresh from now on; None (a retrieval key):
    it is not (:mod:`.reauth`).

    One Core ``INSERT`` on the transaction's connection (no ORM execution), the
    operation's closing write, which need not wait for the disk
    (:meth:`~flask_usercore.runtime.unit_of_work.UnitOfWork.relaxed`).
    """
    now = deps.clock()
    token, refresh = new_token(), new_token()
    expires = expiry(now, deps.config.access_token_ttl)
    session_id = uuid.uuid4()
    row = {"id": session_id, "family_id": session_id,
           "user_id": user if isinstance(user, uuid.UUID) else user.id,
           "kind": CredentialKind.SESSION.value, "token_hash": hash_token(token),
           "refresh_hash": hash_token(refresh), "expires_at": expires,
           "refresh_expires_at": expiry(now, deps.config.refresh_token_ttl),
           "last_used_at": now, "user_agent": (client.user_agent or "")[:512] or None,
           "ip_address": client.ip_address, "created_at": now,
           "description": None, "roles": None,
           "authenticated_at": now if proof else None, "auth_methods": proof or None}
    deps.uow.connection().execute(deps.uow.relaxed(_INSERT_SESSION), row)
    issued = IssuedSession(row, token, refresh, expires)
    after_commit(deps, lambda: _announce_login(deps, user, issued))
    return issued


def _announce_login(deps: Deps, user: User | uuid.UUID, issued: IssuedSession) -> None:
    if not signals.login_succeeded.receivers:  # nobody listens: no query, no object
        return
    if isinstance(user, uuid.UUID):
        user = deps.session.get_one(User, user)
    signals.login_succeeded.send(deps.sender, user=user, credential=issued.credential)


def authenticate(deps: Deps, email: str, password: str, client: ClientInfo,
                 multi_factor_code: str | None = None, *,
                 remember: bool = True) -> IssuedSession | SecondFactorChallenge:
    """Log in with e-mail and password: a new session, or a :class:`SecondFactorChallenge`
    when MFA is on and no code came (``remember``: the first factor is remembered for
    :func:`authenticate_mfa`; a form that sends both again needs none).

    The password check reads one row of columns (no ORM object; the user is loaded as an
    object only when MFA is on), and the session is one ``INSERT``, the closing write of an
    operation run as single statements (on PostgreSQL two round trips in all). A rehash or
    MFA writes more, in one transaction. Only the completed login (password and, with MFA,
    the second factor) forgets the account's failures, after the commit: a right password
    followed by a wrong code forgets nothing.
    """
    account = email_key(email)
    found = _check_password(deps, email, password, lambda: deps.uow.connection().execute(
        _LOGIN_BY_EMAIL, {"key": account}).first())
    if deps.hasher.needs_rehash(found.password_hash):
        deps.session.execute(_REHASH, {"uid": found.id, "new_hash": deps.hasher.hash(password)})
    user: User | uuid.UUID = found.id
    if found.mfa_confirmed_at is not None:
        user = deps.session.scalars(_USER_WITH_MFA, {"uid": found.id}).one()
        if multi_factor_code is None:
            if remember:
                remember_first_factor(deps, user)
                deps.uow.relax_durability()  # lost in a crash, the user logs in again
            return SecondFactorChallenge(found.id)
        check_second_factor(deps, user, multi_factor_code)
        return _logged_in(deps, account, user, client, (PASSWORD, ONE_TIME_CODE))
    return _logged_in(deps, account, user, client, (PASSWORD,))


def _logged_in(deps: Deps, account: str, user: User | uuid.UUID, client: ClientInfo,
               used: tuple[str, ...]) -> IssuedSession:
    """The completed login: forget the account's failures, start a fresh session."""
    forget_failures(deps, account)
    return start_session(deps, user, client, proof=methods(*used))


def authenticate_mfa(deps: Deps, command: AuthenticateMfa, client: ClientInfo) -> IssuedSession:
    """Complete a login that :func:`authenticate` answered with 202: a new session.

    The password is checked again (a wrong one: 400 ``WrongCredentials``, counted like a
    wrong login); then the first factor remembered by the 202 is used, once (408
    ``FirstAuthenticationFactorExpired`` when there is none, it expired, or MFA is no longer
    on); then the second factor (400 ``MfaCodeNotValid``). A failing second factor rolls the
    use of the first factor back: the user may retry until it expires.
    """
    try:
        user = check_password_login(deps, command.email, command.password)
    except WrongCredentials as exc:  # this operation's document has no 401
        raise ValidationFailed(exc.errors, exc.message) from None
    if not user.mfa_active or not use_first_factor(deps, user):
        raise FirstFactorExpired()
    check_second_factor(deps, user, command.multi_factor_code)
    return _logged_in(deps, user.email_key, user, client, (PASSWORD, ONE_TIME_CODE))


def resolve_token(deps: Deps, token: str, *, with_roles: bool = False,
                  with_mfa: bool = True) -> Auth | None:
    """The caller behind a presented bearer token, or None when it is unknown or expired.

    One query (credential and user joined; the user's MFA state too unless ``with_mfa`` is
    False: it is then read when asked for; with ``with_roles`` the user's roles too) through
    the unique token-hash index, and no write: the last-use time goes into this process's
    buffer (:class:`~flask_usercore.runtime.last_access.LastAccess`), which a background
    thread writes every few seconds.
    """
    now = deps.clock()
    result = deps.session.scalars(_BY_TOKEN_HASH[with_mfa, with_roles],
                                  {"token_hash": hash_token(token)})
    credential = (result.unique() if with_roles else result).first()
    if credential is None or (credential.expires_at is not None and credential.expires_at <= now):
        return None
    deps.last_access.record(credential.id, now, deps.session)
    scopes = frozenset(credential.roles.split()) if credential.roles else frozenset()
    return Auth(credential.user, credential, token, credential.kind, scopes)


def logout(deps: Deps, auth: Auth) -> None:
    """End the session (or revoke the credential) the request presented."""
    deps.session.execute(delete(Credential).where(Credential.id == auth.credential.id))
    after_commit(deps, lambda: signals.logged_out.send(deps.sender, user=auth.user,
                                                       credential=auth.credential))


#: A rotated refresh token presented again this soon after its rotation is taken for the
#: client's own duplicate request (two tabs, a retry racing the first answer): refused with
#: 400, the session goes on. Later, it is reuse: the session ends.
REFRESH_REUSE_GRACE = dt.timedelta(seconds=5)


def _refresh_refused(message: str) -> ValidationFailed:
    return ValidationFailed.on("refresh_token", "InvalidRefreshToken", message)


def refresh_session(deps: Deps, refresh_token: str, access_token: str | None) -> IssuedSession:
    """Rotate a session's access and refresh token (``PUT /v2/users/self/sessions``).

    ``access_token`` (the one the call presented) may be expired, or absent, but when present
    it must be the current access token of the refresh token's session (else 401); it stops
    working. The refresh token rotates; the old one is kept as a ``spent_refresh`` row, and
    presenting it again later than :data:`REFRESH_REUSE_GRACE` after its rotation ends the
    whole session and fires ``session_reused`` (that revocation is committed although the
    call answers 400). The rotation is one conditional ``UPDATE``: of concurrent refreshes
    with one refresh token exactly one succeeds.
    """
    now = deps.clock()
    session_id: uuid.UUID | None = None
    if access_token is not None:
        row = deps.session.execute(select(Credential.id, Credential.kind).where(
            Credential.token_hash == hash_token(access_token))).first()
        if row is None or row.kind != CredentialKind.SESSION:
            raise Unauthorized(N_("the access token is not one of a session"))
        session_id = row.id
    old_hash = hash_token(refresh_token)
    current = deps.session.execute(
        select(Credential.id, Credential.user_id, Credential.refresh_expires_at)
        .where(Credential.refresh_hash == old_hash,
               Credential.kind == CredentialKind.SESSION)).first()
    if current is None:
        _refuse_spent(deps, old_hash, now)
        raise _refresh_refused(N_("the refresh token is not valid"))
    if current.refresh_expires_at is not None and current.refresh_expires_at <= now:
        raise _refresh_refused(N_("the refresh token has expired: log in again"))
    if session_id is not None and session_id != current.id:
        raise _refresh_refused(N_("the refresh token belongs to another session"))
    token, refresh = new_token(), new_token()
    expires = expiry(now, deps.config.access_token_ttl)
    # The rotated row comes back by RETURNING (no second SELECT). The commit keeps the full
    # durability: it revokes the old access and refresh tokens.
    credential = deps.session.scalars(
        update(Credential)
        .where(Credential.id == current.id, Credential.refresh_hash == old_hash)
        .values(token_hash=hash_token(token), refresh_hash=hash_token(refresh),
                expires_at=expires, last_used_at=now,
                refresh_expires_at=expiry(now, deps.config.refresh_token_ttl))
        .returning(Credential)
        .execution_options(synchronize_session=False)).one_or_none()
    if credential is None:  # a concurrent refresh rotated it first
        raise _refresh_refused(N_("the refresh token was used already"))
    deps.session.add(Credential(
        user_id=current.user_id, kind=CredentialKind.SPENT_REFRESH, token_hash=old_hash,
        family_id=current.id, expires_at=current.refresh_expires_at, created_at=now))
    return IssuedSession(credential, token, refresh, expires)


def _refuse_spent(deps: Deps, spent_hash: str, now: dt.datetime) -> None:
    """When ``spent_hash`` is a rotated refresh token: end its session unless it rotated
    moments ago (:data:`REFRESH_REUSE_GRACE`), then raise the 400."""
    spent = deps.session.execute(
        select(Credential.user_id, Credential.family_id, Credential.created_at)
        .where(Credential.token_hash == spent_hash,
               Credential.kind == CredentialKind.SPENT_REFRESH)).first()
    if spent is None or spent.family_id is None:
        return
    if now - spent.created_at <= REFRESH_REUSE_GRACE:
        raise _refresh_refused(N_("the refresh token was used already"))
    deps.uow.durable(delete(Credential).where(
        Credential.user_id == spent.user_id,
        or_(Credential.id == spent.family_id, Credential.family_id == spent.family_id)))
    signals.session_reused.send(deps.sender, user_id=spent.user_id,
                                session_id=spent.family_id)
    raise _refresh_refused(N_("the refresh token was used before: the session has been ended"))
