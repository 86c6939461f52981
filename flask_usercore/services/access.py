"""Who may call what (DESIGN.md): credential kinds, API-token roles and OAuth2 scopes.

Every bearer credential has a kind. An operation (or a host view guarded by
``@usercore.auth_required``) declares the kinds it accepts and the OAuth2 scopes it needs;
:func:`check_access` compares them with the presented credential.

| kind | may call |
|---|---|
| ``session`` | every operation that accepts sessions |
| ``api_token`` | role ``api_read``: safe methods; ``api_write``: all methods; never the operations
  that manage credentials (they do not list the kind) |
| ``oauth2`` | only operations that accept the kind, and only with every scope they name |

Retrieval keys, refresh tokens and one-time codes are never bearer tokens: the token lookup
does not find them at all (:data:`BEARER_KINDS`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from ..errors import N_, Forbidden, InsufficientScope, NotFound
from ..models import CredentialKind, User
from .context import Auth

#: The kinds of credential rows a bearer token may resolve to.
BEARER_KINDS = frozenset({CredentialKind.SESSION, CredentialKind.API_TOKEN,
                          CredentialKind.OAUTH2})
#: Methods that only read.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: API-token roles: what each allows.
API_READ, API_WRITE = "api_read", "api_write"

#: Operations that manage credentials accept sessions only.
SESSION_ONLY: frozenset[str] = frozenset({CredentialKind.SESSION})
#: The default of an operation of the user's own data: sessions and API tokens.
USER_KINDS: frozenset[str] = frozenset({CredentialKind.SESSION, CredentialKind.API_TOKEN})
#: Profile operations: sessions, API tokens and OAuth2 tokens with scope ``profile``.
PROFILE_KINDS: frozenset[str] = USER_KINDS | {CredentialKind.OAUTH2}


def check_access(auth: Auth, *, kinds: Collection[str], scopes: Collection[str],
                 method: str) -> None:
    """Raise 403 unless ``auth`` may call an operation accepting ``kinds`` with ``scopes``.

    OAuth2 refusals are :class:`InsufficientScope` (``WWW-Authenticate: Bearer
    error="insufficient_scope"``).
    """
    if auth.kind == CredentialKind.OAUTH2:
        if auth.kind not in kinds or not set(scopes) <= auth.scopes:
            raise InsufficientScope(scopes if auth.kind in kinds else ())
        return
    if auth.kind not in kinds:
        raise Forbidden(N_("a credential of kind %(kind)s may not call this operation",
                           kind=auth.kind))
    if auth.kind == CredentialKind.API_TOKEN:
        needed = API_READ if method.upper() in SAFE_METHODS else API_WRITE
        if needed not in auth.scopes and API_WRITE not in auth.scopes:
            raise Forbidden(N_("this API token lacks the role %(role)s", role=needed))


def own_resources(auth: Auth, user_id: str) -> User:
    """The owner named by a ``{userId}`` of the user's own resources (settings, phone,
    avatar, feedback, poll settings): ``self`` or the caller's id give the caller; any other
    UUID is a 403, whether or not that user exists; a segment that is no UUID is a 404."""
    if user_id == "self":
        return auth.user
    try:
        wanted = uuid.UUID(user_id)
    except ValueError:
        raise NotFound(N_("no user with this id")) from None
    if wanted != auth.user.id:
        raise Forbidden(N_("these are another user's resources"))
    return auth.user
