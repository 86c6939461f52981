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

A request without a valid token gets the 401 of the wire rules, one whose credential may not
call the view the 403 (``WWW-Authenticate: Bearer error="insufficient_scope"`` for OAuth2).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, TypeVar, cast

from werkzeug.local import LocalProxy

from ..errors import UserCoreError
from ..models import User
from ..services.access import USER_KINDS
from ..services.context import Auth
from ..state import usercore_state
from .authenticator import authenticate, request_auth
from .handlers import error_response
from .operation import request_body_limit

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["LoginUser", "auth_required", "current_auth", "current_user",
           "init_login_manager", "max_body_bytes", "request_auth"]

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


def _authenticated(kinds: Collection[str], scopes: Collection[str]) -> Auth:
    """Authenticate a host's request; the transaction goes on into the host's view."""
    uow = usercore_state().deps.uow
    try:
        auth = authenticate(kinds, scopes)
    except BaseException:
        uow.rollback()
        raise
    uow.run_after_commit()
    assert auth is not None  # noqa: S101 ("api" mode raises rather than answer None)
    return auth


def auth_required(*, kinds: Collection[str] = USER_KINDS,
                  scopes: Collection[str] = ()) -> Callable[[F], F]:
    """Require a bearer credential of one of ``kinds`` (with ``scopes`` for OAuth2 tokens).

    The check is the one our operations use. Errors answer with our JSON bodies (401/403),
    whatever the host's own error handlers do. The last-use time of the credential goes into
    the process's buffer (``flask_usercore/runtime/last_access.py``): no database write.
    """
    kinds, scopes = frozenset(kinds), tuple(scopes)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                _authenticated(kinds, scopes)
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
    is_active = True
    is_anonymous = False

    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self.user = auth.user

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


def init_login_manager(login_manager: Any, *, kinds: Collection[str] = USER_KINDS) -> None:
    """Let Flask-Login's ``current_user`` resolve our tokens (header, Bearer or cookie).

    Installs a ``request_loader`` on ``login_manager``: a request with a valid token of
    ``kinds`` logs in its user as a :class:`LoginUser`; without one, Flask-Login goes on as
    configured (anonymous user, ``login_required`` refusing).
    """
    kinds = frozenset(kinds)

    def load(request: Any) -> LoginUser | None:
        try:
            return LoginUser(_authenticated(kinds, ()))
        except UserCoreError:
            return None

    login_manager.request_loader(load)
