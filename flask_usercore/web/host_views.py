"""Protecting the host's own views with our tokens: ``current_user``, ``current_auth``,
``@auth_required`` and the Flask-Login bridge (public as ``flask_usercore.auth``). Every one
of them authenticates through the one authenticator of the operations (:mod:`.authenticator`).

::

    from flask_usercore import current_user

    @app.get("/dashboard")
    @usercore.auth_required                       # sessions and API tokens
    def dashboard():
        return {"hello": current_user.first_name}

    @app.put("/profile-card")
    @usercore.auth_required(kinds={"session", "oauth2"}, scopes={"profile"})
    def profile_card(): ...

    @app.post("/articles/<id>/publish")
    @usercore.auth_required(roles={"editor"}, permissions={"articles.publish"})
    def publish(id): ...

A request without a valid token gets the 401 of the wire rules, one whose credential may not
call the view the 403 (``WWW-Authenticate: Bearer error="insufficient_scope"`` for OAuth2),
one whose user lacks a role or permission the 403 ``PermissionDenied`` (docs/roles.md).
Behind Flask-Login's ``login_required`` (:func:`init_login_manager`) an API request gets the
same answers, while a browser's page gets what the host chose for a missing login.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Request, current_app, g, request
from werkzeug.local import LocalProxy

from ..errors import Unauthorized, UserCoreError
from ..models import User
from ..services import reauth
from ..services.access import USER_KINDS
from ..services.context import Auth
from ..state import usercore_state
from .authenticator import authenticate, request_auth
from .handlers import error_response
from .loading import header_password
from .operation import request_body_limit

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["LoginUser", "auth_required", "current_auth", "current_user",
           "init_login_manager", "is_api_request", "max_body_bytes", "request_auth"]

#: Media types a browser asks for when it loads a page.
_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: ``g`` key: why the Flask-Login loader refused the request's token.
_REFUSAL = "usercore_login_refusal"

#: Proxy to the :class:`~flask_usercore.services.context.Auth` of the current request. It is
#: falsy when nothing authenticated the request (``if current_auth:``; a proxy is never
#: ``None`` itself: ``usercore.current_auth`` gives the object or None).
current_auth: Auth = cast(Auth, LocalProxy(request_auth))
#: Proxy to the :class:`~flask_usercore.models.User` of the current request; falsy when none.
current_user: User = cast(
    User, LocalProxy(lambda: a.user if (a := request_auth()) is not None else None))


def max_body_bytes() -> int:
    """The body limit of the current request: ``USERCORE_MAX_BODY_BYTES`` of the current app,
    or more for an operation that declares its own (uploads)."""
    return request_body_limit()


def _authenticated(kinds: Collection[str], scopes: Collection[str],
                   roles: Collection[str] = (), permissions: Collection[str] = ()) -> Auth:
    """Authenticate a host's request; the transaction goes on into the host's view."""
    uow = usercore_state().deps.uow
    try:
        auth = authenticate(kinds, scopes, roles=roles, permissions=permissions)
    except BaseException:
        uow.rollback()
        raise
    uow.run_after_commit()
    assert auth is not None  # noqa: S101 ("api" mode raises rather than answer None)
    return auth


def _fresh(fresh: bool | int) -> None:
    """The recent-authentication check of ``auth_required(fresh=...)``: a session fresher
    than ``fresh`` seconds (``True``: ``USERCORE_REAUTH_MAX_AGE``), or the user's password
    in the ``x-apitree-password`` header (it makes the session fresh again, committed
    here); else 401 ``ReauthenticationRequired`` (``services/reauth.py``)."""
    deps = usercore_state().deps
    auth = request_auth()
    assert auth is not None  # noqa: S101 (authenticated just before)
    try:
        password = header_password()
        reauth.require_recent(deps, auth, password,
                              max_age=None if fresh is True else int(fresh))
        if password is not None:
            deps.uow.commit()  # the session's new freshness, before the host's view
    except BaseException:
        deps.uow.rollback()
        raise


def auth_required(*, kinds: Collection[str] = USER_KINDS, scopes: Collection[str] = (),
                  roles: Collection[str] = (), permissions: Collection[str] = (),
                  fresh: bool | int = False) -> Callable[[F], F]:
    """Require a bearer credential of one of ``kinds`` (with ``scopes`` for OAuth2 tokens)
    whose user holds every role of ``roles`` and every permission of ``permissions``.

    The check is the one our operations use; a missing role or permission is the 403
    ``PermissionDenied`` (its body names them in ``missingRoles``/``missingPermissions``),
    and the roles come with the token's query (no query of their own). Errors answer with
    our JSON bodies (401/403), whatever the host's own error handlers do. The last-use time
    of the credential goes into the process's buffer
    (``flask_usercore/runtime/last_access.py``): no database write.

    ``fresh``: the view changes how one signs in, like our operations declared so
    (docs/security.md): it needs a session whose user proved who they are within
    ``USERCORE_REAUTH_MAX_AGE`` seconds (``True``) or within ``fresh`` seconds (an int), or
    the password in the ``x-apitree-password`` header; else 401 ``ReauthenticationRequired``.
    API and OAuth2 tokens pass only with the password.
    """
    kinds, scopes = frozenset(kinds), tuple(scopes)
    roles, permissions = frozenset(roles), frozenset(permissions)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                _authenticated(kinds, scopes, roles, permissions)
                if fresh is not False:
                    _fresh(fresh)
            except UserCoreError as exc:
                return error_response(exc)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


class LoginUser:
    """Our :class:`~flask_usercore.models.User` as Flask-Login expects a user object.

    Attribute access falls through to the user (``current_user.email``); ``auth`` is the
    credential the request presented.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self.user = auth.user

    @property
    def is_active(self) -> bool:
        """False for a disabled account (none gets this far: its credentials are ended)."""
        return self.user.disabled_at is None

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


def is_api_request(req: Request) -> bool:
    """Whether ``req`` comes from an API client rather than a browser loading a page.

    An API request carries a token header (``x-access-token`` or ``Authorization:
    Bearer``), a JSON body, or ``X-Requested-With: XMLHttpRequest``, or its ``Accept`` does
    not ask for HTML by name (no ``Accept`` at all, ``*/*``, ``application/json``) or prefers
    JSON to it. A browser's page view names ``text/html``.
    """
    scheme, _, _ = req.headers.get("Authorization", "").partition(" ")
    if req.headers.get("x-access-token") or scheme.lower() == "bearer" or req.is_json:
        return True
    if req.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    accept = req.accept_mimetypes
    html = max((quality for value, quality in accept if value in _PAGE_TYPES), default=0)
    json_quality = max((quality for value, quality in accept
                        if value == "application/json" or value.endswith("+json")), default=0)
    return not (html > 0 and html >= json_quality)


def init_login_manager(login_manager: Any, *, kinds: Collection[str] = USER_KINDS,
                       api_request: Callable[[Request], bool] = is_api_request) -> None:
    """Let Flask-Login's ``current_user`` resolve our tokens (header, Bearer or cookie),
    with one answer to a missing login.

    Installs a ``request_loader`` on ``login_manager``: a request with a valid token of
    ``kinds`` logs in its user as a :class:`LoginUser`. When Flask-Login refuses a request
    (``login_required`` without a logged-in user), ``api_request(request)``
    (:func:`is_api_request` by default) decides the answer:

    - an API request gets the JSON answer of :func:`auth_required`: 401 ``Unauthorized``
      with ``WWW-Authenticate: Bearer``, or the 403 of a token that may not be used here
      (another kind, a cookie-authenticated change from a foreign origin);
    - a page gets the host's choice, as without the bridge: its ``unauthorized_handler``,
      else a redirect to its ``login_view`` (or the blueprint's), else Flask-Login's 401.

    Either way Flask-Login's ``user_unauthorized`` signal is sent. The bridge wraps
    ``login_manager.unauthorized`` (so a handler registered before or after this call is
    honoured); calling this again on the same manager replaces the earlier settings.
    """
    from flask_login.signals import user_unauthorized

    kinds = frozenset(kinds)

    def load(req: Any) -> LoginUser | None:
        try:
            return LoginUser(_authenticated(kinds, ()))
        except UserCoreError as exc:
            setattr(g, _REFUSAL, exc)
            return None

    hosts_choice = getattr(login_manager.unauthorized, "usercore_hosts_choice",
                           login_manager.unauthorized)

    def unauthorized() -> Any:
        if not api_request(request):
            return hosts_choice()
        user_unauthorized.send(current_app._get_current_object())  # type: ignore[attr-defined]
        refusal = g.pop(_REFUSAL, None)
        return error_response(refusal if isinstance(refusal, UserCoreError)
                              else Unauthorized())

    unauthorized.usercore_hosts_choice = hosts_choice  # type: ignore[attr-defined]
    login_manager.request_loader(load)
    login_manager.unauthorized = unauthorized
