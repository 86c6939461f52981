"""Access-token retrieval keys: a short-lived, single-use key a host hands to one of its own
services (an extension's frontend), which exchanges it with the user's id for a new session
(``POST /v2/authenticate-token-retrieval-key``).

A key is 37 characters (``[A-Za-z0-9]``, about 220 random bits), made by
:func:`create_retrieval_key` (a Python call for the host, or ``flask usercore
create-retrieval-key USER_ID``), stored as its SHA-256 in the credentials table (kind
``retrieval_key``, never looked up as a bearer token), and expires after
``USERCORE_RETRIEVAL_KEY_TTL`` seconds. Using it deletes it in the same statement that checks
it, so of parallel exchanges exactly one gets a session.
"""

from __future__ import annotations

import secrets
import string
import uuid

from sqlalchemy import delete, select

from ..commands.retrieval_keys import RetrievalKeyLogin
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..models import Credential, CredentialKind, User
from ..security.tokens import hash_token
from .authentication import IssuedSession, start_session
from .context import ClientInfo, Deps, expiry

#: Length of a key (``accessTokenRetrievalKey`` has exactly 37 characters).
KEY_LENGTH = 37
_ALPHABET = string.ascii_letters + string.digits


def create_retrieval_key(deps: Deps, user_id: uuid.UUID) -> str:
    """Store a new retrieval key for ``user_id`` and return it in clear (hand it over once).

    404 when the user does not exist, 409 ``Conflict`` when it is disabled. The caller
    commits (``commit(deps.session)``).
    """
    user = deps.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("there is no such user"))
    if user.disabled_at is not None:
        raise Conflict(N_("this account has been disabled: it gets no retrieval key"))
    now = deps.clock()
    key = "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))
    deps.session.add(Credential(
        user_id=user_id, kind=CredentialKind.RETRIEVAL_KEY, token_hash=hash_token(key),
        expires_at=expiry(now, deps.config.retrieval_key_ttl), created_at=now))
    return key


def _refused() -> ValidationFailed:
    return ValidationFailed.on(
        "access_token_retrieval_key", "InvalidAccessTokenRetrievalKey",
        N_("the access token retrieval key is not valid, has expired or was used"))


def authenticate_with_key(deps: Deps, command: RetrievalKeyLogin,
                          client: ClientInfo) -> IssuedSession:
    """Exchange the command's key of its user for a new session; the key is used up.

    A wrong key, another user's, an expired or a used one: the same 400, on
    ``access_token_retrieval_key``; a key of a disabled account (made before it was
    disabled, in a race: disabling deletes them) is refused with ``AccountDisabled``.
    """
    user_id = command.user_id
    used = deps.session.execute(
        delete(Credential)
        .where(Credential.token_hash == hash_token(command.access_token_retrieval_key),
               Credential.kind == CredentialKind.RETRIEVAL_KEY,
               Credential.user_id == user_id, Credential.expires_at > deps.clock())
        .execution_options(synchronize_session=False))
    if getattr(used, "rowcount", 0) != 1:
        raise _refused()
    user = deps.session.scalars(select(User).where(User.id == user_id)).one()
    if user.disabled_at is not None:
        raise ValidationFailed.on("access_token_retrieval_key", "AccountDisabled",
                                  N_("this account has been disabled by an administrator"))
    return start_session(deps, user, client)
