"""Login, logout and the token checks."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..commands.authentication import Login, LoginQuery
from ..commands.empty import Empty
from ..runtime.unit_of_work import RunMode
from ..schemas.authentication import (
    AuthenticateQuery,
    AuthenticateSchema,
    CheckTokenResult,
    SecondFactorRequiredSchema,
    SessionStatus,
    TokenResult,
)
from ..schemas.base import EmptySchema
from ..services import authentication
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession, SecondFactorChallenge
from ..web import CapabilityBlueprint, Reply, client_info, current_auth, deps, empty
from ..web.transport import clear_session_cookie, set_session_cookie

bp = CapabilityBlueprint("authentication", __name__)


def session_reply(issued: IssuedSession, cookie_only: bool) -> Response | IssuedSession:
    """The session (dumped as ``{token, refreshToken, expires}``), or 204 with only the
    HttpOnly cookie set."""
    if not cookie_only:
        return issued
    response = empty(204)
    set_session_cookie(response, deps().config, issued.token, issued.expires)
    return response


@bp.operation("POST", "/authenticate", operation_id="user-authenticate", kinds=(),
              summary="Authenticate yourself to get an access token.", body=AuthenticateSchema,
              query=AuthenticateQuery, response=TokenResult, extra_statuses=(202, 204, 401),
              alternatives={202: SecondFactorRequiredSchema},
              rate_limit_group="login", runs=RunMode.SINGLE_STATEMENTS)
def authenticate(body: Login, query: LoginQuery) -> Response | Reply | IssuedSession:
    outcome = authentication.authenticate(deps(), body.email, body.password, client_info())
    if isinstance(outcome, SecondFactorChallenge):
        return Reply(outcome, 202)
    return session_reply(outcome, query.cookie_only)


@bp.operation("PUT", "/logout", operation_id="user-logout", status=204, kinds=SESSION_ONLY,
              summary="Terminate session and invalidate access token.", body=EmptySchema)
def logout(body: Empty) -> Response:
    authentication.logout(deps(), current_auth())
    response = empty()
    clear_session_cookie(response, deps().config)
    return response


@bp.operation("POST", "/users/self/credentials/token", operation_id="deprecated-user-check-token",
              summary="Check token for validity.", body=EmptySchema, response=CheckTokenResult)
def check_token(body: Empty) -> dict[str, Any]:
    auth = current_auth()
    return {"id": auth.credential.id, "public_token": auth.token}


@bp.operation("GET", "/users/self/sessions/current/status",
              operation_id="user-get-current-session-status",
              summary="Check status of the current session.", response=SessionStatus)
def current_session_status() -> dict[str, Any]:
    auth = current_auth()
    return {"user_id": auth.user.id, "token_id": auth.credential.id,
            "is_impersonated": False, "is_employee": False}
