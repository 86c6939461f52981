"""Login, logout and the token checks."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..errors import SecondFactorRequired
from ..schemas.authentication import (
    AuthenticateQuery,
    AuthenticateSchema,
    CheckTokenResult,
    SessionStatus,
    TokenResult,
)
from ..schemas.base import EmptySchema
from ..services import authentication
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession
from .handlers import error_response
from .routing import COOKIE_NAME, CapabilityBlueprint, client_info, current_auth, deps, empty

bp = CapabilityBlueprint("authentication", __name__)
_TOKEN = TokenResult()


def session_reply(issued: IssuedSession, cookie_only: bool) -> Response | dict[str, Any]:
    """``{token, refreshToken, expires}``, or 204 with only the HttpOnly cookie set.

    The cookie lives as long as the access token (``Max-Age`` and ``Expires``); it is
    ``Secure`` when the request came over HTTPS (behind a proxy: ``ProxyFix``).
    """
    if not cookie_only:
        return {"token": issued.token, "refresh_token": issued.refresh_token,
                "expires": issued.expires}
    response = empty(204)
    response.set_cookie(COOKIE_NAME, issued.token, max_age=deps().config.access_token_ttl,
                        expires=issued.expires, httponly=True, secure=request.is_secure,
                        samesite=deps().config.cookie_samesite, path="/")
    return response


@bp.operation("POST", "/authenticate", operation_id="user-authenticate", kinds=(),
              summary="Authenticate yourself to get an access token.", body=AuthenticateSchema,
              query=AuthenticateQuery, response=TokenResult, extra_statuses=(202, 204, 401),
              rate_limit_group="login")
def authenticate(body: dict[str, Any], query: dict[str, Any]) -> Response | dict[str, Any]:
    try:
        issued = authentication.authenticate(deps(), body["email"], body["password"],
                                             client_info())
    except SecondFactorRequired as asked:  # a reply, not a failure: commit the remembered
        return error_response(asked)       # first factor (services.mfa) with the 202
    return session_reply(issued, query["cookie_only"])


@bp.operation("PUT", "/logout", operation_id="user-logout", status=204, kinds=SESSION_ONLY,
              summary="Terminate session and invalidate access token.", body=EmptySchema)
def logout(body: dict[str, Any]) -> Response:
    authentication.logout(deps(), current_auth())
    response = empty()
    if COOKIE_NAME in request.cookies:
        response.delete_cookie(COOKIE_NAME, path="/", secure=request.is_secure,
                               httponly=True, samesite=deps().config.cookie_samesite)
    return response


@bp.operation("POST", "/users/self/credentials/token", operation_id="deprecated-user-check-token",
              summary="Check token for validity.", body=EmptySchema, response=CheckTokenResult)
def check_token(body: dict[str, Any]) -> dict[str, Any]:
    auth = current_auth()
    return {"id": auth.credential.id, "public_token": auth.token}


@bp.operation("GET", "/users/self/sessions/current/status",
              operation_id="user-get-current-session-status",
              summary="Check status of the current session.", response=SessionStatus)
def current_session_status() -> dict[str, Any]:
    auth = current_auth()
    return {"user_id": auth.user.id, "token_id": auth.credential.id,
            "is_impersonated": False, "is_employee": False}
