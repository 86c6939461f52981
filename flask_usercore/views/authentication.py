"""Login, logout and the token checks."""

from __future__ import annotations

from flask import Response, request

from ..schemas.authentication import (
    AuthenticateQuery,
    AuthenticateSchema,
    CheckTokenResult,
    SessionStatus,
    TokenResult,
)
from ..schemas.base import EmptySchema
from ..services import authentication
from ..services.authentication import IssuedSession
from .routing import (
    CapabilityBlueprint,
    body,
    client_info,
    current_auth,
    deps,
    empty,
    query,
    reply,
)

bp = CapabilityBlueprint("authentication", __name__)
_LOGIN, _LOGIN_QUERY, _TOKEN = AuthenticateSchema(), AuthenticateQuery(), TokenResult()
_CHECK, _STATUS, _EMPTY = CheckTokenResult(), SessionStatus(), EmptySchema()


def session_reply(issued: IssuedSession, cookie_only: bool) -> Response:
    """``{token, refreshToken, expires}``, or 204 with only the HttpOnly cookie set."""
    if not cookie_only:
        return reply(_TOKEN, {"token": issued.token, "refresh_token": issued.refresh_token,
                              "expires": issued.expires})
    response = empty(204)
    response.set_cookie("x-access-token", issued.token, expires=issued.expires, httponly=True,
                        secure=request.is_secure, samesite=deps().config.cookie_samesite,
                        path="/")
    return response


@bp.operation("POST", "/authenticate", operation_id="user-authenticate", auth=False,
              summary="Authenticate yourself to get an access token.", body=AuthenticateSchema,
              query=AuthenticateQuery, response=TokenResult, extra_statuses=(202, 204, 401),
              rate_limit_group="login")
def authenticate() -> Response:
    cookie_only = query(_LOGIN_QUERY)["cookie_only"]
    data = body(_LOGIN)
    issued = authentication.authenticate(deps(), data["email"], data["password"], client_info())
    return session_reply(issued, cookie_only)


@bp.operation("PUT", "/logout", operation_id="user-logout", status=204,
              summary="Terminate session and invalidate access token.", body=EmptySchema)
def logout() -> Response:
    body(_EMPTY)
    authentication.logout(deps(), current_auth())
    return empty()


@bp.operation("POST", "/users/self/credentials/token", operation_id="deprecated-user-check-token",
              summary="Check token for validity.", body=EmptySchema, response=CheckTokenResult)
def check_token() -> Response:
    body(_EMPTY)
    auth = current_auth()
    return reply(_CHECK, {"id": auth.credential.id, "public_token": auth.token})


@bp.operation("GET", "/users/self/sessions/current/status",
              operation_id="user-get-current-session-status",
              summary="Check status of the current session.", response=SessionStatus)
def current_session_status() -> Response:
    auth = current_auth()
    return reply(_STATUS, {"user_id": auth.user.id, "token_id": auth.credential.id,
                           "is_impersonated": False, "is_employee": False})
