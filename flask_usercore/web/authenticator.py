"""The one authenticator: a presented token to the caller (:class:`Auth`).

Every entrance goes through :func:`authenticate`: the operations, ``@auth_required`` on the
host's views, the Flask-Login loader, the OAuth2 pages, and (for the token only) the session
refresh. It reads the token where :mod:`.transport` finds it, resolves it with one query
(:func:`~flask_usercore.services.authentication.resolve_token`), names the caller in the
request log, checks a cookie-authenticated change's origin, then the kind, role and scopes
(:func:`~flask_usercore.services.access.check_access`), then the user's roles and
permissions when the entrance names some
(:func:`~flask_usercore.services.roles.check_roles`; the roles then come with the token's
query). A credential of a disabled account is refused here (401 ``AccountDisabled``).

Two modes:

- ``"api"``: no valid token is a 401, a refused one a 403 (the wire rules);
- ``"page"`` (a browser's page): the cookie always counts; no token, or a stale cookie, or a
  cookie of a credential the page does not take, is "not signed in" (None), while a header
  token keeps the 401/403 of an API client. A page's form carries its own CSRF token, so the
  origin check is the page's.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, cast

from flask import g, has_request_context, request

from ..errors import N_, AccountDisabled, Forbidden, InvalidToken, Unauthorized
from ..runtime.request_log import note_caller
from ..services.access import check_access
from ..services.authentication import resolve_token
from ..services.context import Auth
from ..services.roles import check_roles
from ..state import usercore_state
from .transport import UNSAFE_METHODS, presented_token, trusted_origin

Mode = Literal["api", "page"]


def authenticate(kinds: Collection[str], scopes: Collection[str] = (), *,
                 mode: Mode = "api", roles: Collection[str] = (),
                 permissions: Collection[str] = ()) -> Auth | None:
    """The caller of this request, checked against ``kinds`` and ``scopes`` (and the
    user's ``roles`` and ``permissions``: 403 ``PermissionDenied`` without them); it is also
    what :func:`request_auth` gives for the rest of the request.

    ``"api"`` mode: 401 without a valid bearer credential; 403 when its kind, role or
    scopes do not allow the call, or when an unsafe request carries only the cookie and does
    not come from a trusted origin; never None. ``"page"`` mode: None for a visitor who is
    not signed in (see the module's text).
    """
    state = usercore_state()
    page = mode == "page"
    presented = presented_token(state.config, cookie=True if page else None)
    if presented is None:
        if page:
            return None
        raise Unauthorized(N_("a valid access token is required"))
    # a page reads the MFA state only where it shows it: not joined in (an API answer may
    # carry it: joined)
    auth = resolve_token(state.deps, presented.value, with_roles=bool(roles or permissions),
                         with_mfa=not page)
    if auth is None:
        if page and presented.from_cookie:
            return None
        raise InvalidToken()
    if auth.user.disabled_at is not None:  # disabling ends them: a row written around us
        if page and presented.from_cookie:
            return None
        raise AccountDisabled()
    note_caller(auth)  # the request log names the caller of a refused call too
    if page:
        if auth.kind not in kinds:
            if presented.from_cookie:
                return None
            raise Forbidden(N_("a credential of kind %(kind)s may not use this page",
                               kind=auth.kind))
    elif (presented.from_cookie and request.method in UNSAFE_METHODS
          and not trusted_origin(state.config)):
        raise Forbidden(N_("a cookie-authenticated change must come from a trusted origin"))
    check_access(auth, kinds=kinds, scopes=scopes, method=request.method)
    check_roles(auth, roles=roles, permissions=permissions)
    g.usercore_auth = auth
    return auth


def presented_access_token() -> str | None:
    """The access token the request presented, unresolved: for the session refresh, whose
    access token may have expired (the service checks it belongs to the refreshed
    session)."""
    presented = presented_token(usercore_state().config)
    return presented.value if presented is not None else None


def request_auth() -> Auth | None:
    """The :class:`Auth` of the current request, or None when nothing authenticated it."""
    return g.get("usercore_auth") if has_request_context() else None


def current_auth() -> Auth:
    """The authenticated caller of this request (of an operation that needs a token)."""
    return cast(Auth, g.usercore_auth)
