"""Recent authentication: when and how a session's user last proved who they are, and the
one check of the operations that change how one signs in.

A session records ``authenticated_at`` and ``auth_methods`` (RFC 8176 ``amr`` values:
``pwd``, ``otp``, ``mfa``) at its login and on each re-authentication. It is *fresh* for
``USERCORE_REAUTH_MAX_AGE`` seconds after that. The operations declared ``fresh=True``
(e-mail change, turning MFA on, creating an API token, adding an SSH key; docs/security.md
lists them) and the host's views behind ``auth_required(fresh=...)`` pass with a fresh
session, or with the user's password (the body's, or the ``x-apitree-password`` header),
which also makes a session fresh again; else 401 ``ReauthenticationRequired``. Credentials
that are not sessions (API tokens, OAuth2 tokens) are never fresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import ReauthenticationRequired
from ..models import Credential, CredentialKind
from .context import Auth, Deps
from .passwords import check_current_password, forget_failures

#: ``amr`` of a password (RFC 8176).
PASSWORD = "pwd"  # noqa: S105 (a method name)
#: ``amr`` of a one-time code (TOTP or recovery code), and of the two factors together.
ONE_TIME_CODE, MULTI_FACTOR = "otp", "mfa"


def methods(*used: str) -> str:
    """The ``auth_methods`` value of a proof with the methods ``used`` (``mfa`` added when
    there are two or more)."""
    names = list(dict.fromkeys(used))
    if len(names) > 1:
        names.append(MULTI_FACTOR)
    return " ".join(names)


def authentication_time(credential: Credential) -> dt.datetime | None:
    """When the user of ``credential`` last proved who they are (OpenID Connect's
    ``auth_time``): a session's login or latest re-authentication; for a session made
    before this was recorded, its creation; None for other kinds. (Freshness reads only
    what was recorded: :func:`is_fresh`.)"""
    if credential.authenticated_at is not None:
        return credential.authenticated_at
    return credential.created_at if credential.kind == CredentialKind.SESSION else None


def authentication_methods(credential: Credential) -> tuple[str, ...]:
    """How (``amr``): the methods of that proof, e.g. ``("pwd", "otp", "mfa")``."""
    return tuple((credential.auth_methods or "").split())


def is_fresh(deps: Deps, auth: Auth, max_age: int | None = None) -> bool:
    """Whether ``auth`` is a session whose user proved who they are within ``max_age``
    seconds (default ``USERCORE_REAUTH_MAX_AGE``)."""
    if auth.kind != CredentialKind.SESSION:
        return False
    when = auth.credential.authenticated_at
    limit = deps.config.reauth_max_age if max_age is None else max_age
    return when is not None and deps.clock() - when <= dt.timedelta(seconds=limit)


def require_recent(deps: Deps, auth: Auth, password: str | None, *, field: str = "",
                   max_age: int | None = None) -> None:
    """Pass when ``password`` is the caller's password, or when none came and the caller's
    session is fresh (:func:`is_fresh`); else 401 ``ReauthenticationRequired``.

    A given password is always checked (400 ``WrongPassword`` on the command field
    ``field``, counted by the per-account lockout, 429 while locked); a right one makes the
    presented session fresh again (:func:`reauthenticated`) and forgets the account's
    failures once the operation committed.
    """
    if password is not None:
        check_current_password(deps, auth.user, password, field=field)
        forget_failures(deps, auth.user.email_key)
        if auth.kind == CredentialKind.SESSION:
            reauthenticated(deps, auth.credential, (PASSWORD,))
        return
    if not is_fresh(deps, auth, max_age):
        raise ReauthenticationRequired(
            deps.config.reauth_max_age if max_age is None else max_age)


def reauthenticated(deps: Deps, credential: Credential, used: Iterable[str]) -> None:
    """Record on the session ``credential`` that its user proved who they are now, with the
    methods ``used``; written with the operation's transaction."""
    now, how = deps.clock(), methods(*used)
    deps.session.execute(update(Credential).where(Credential.id == credential.id)
                         .values(authenticated_at=now, auth_methods=how)
                         .execution_options(synchronize_session=False))
    set_committed_value(credential, "authenticated_at", now)  # no second UPDATE at flush
    set_committed_value(credential, "auth_methods", how)
