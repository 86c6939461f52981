"""The caller's sessions: list, show, end one, end all others, refresh."""

from __future__ import annotations

from typing import Any

from ..commands.pagination import PageRequest
from ..commands.sessions import RefreshSession
from ..schemas.pagination import PageQuery
from ..schemas.sessions import RefreshResult, RefreshSchema, SessionSchema
from ..services import authentication, sessions
from ..services.access import SESSION_ONLY
from ..services.sessions import SessionInfo
from ..web import CapabilityBlueprint, Page, current_auth, deps
from ..web.authenticator import presented_access_token

bp = CapabilityBlueprint("sessions", __name__)


@bp.operation("GET", "/users/self/sessions", operation_id="user-list-sessions",
              kinds=SESSION_ONLY, summary="List all sessions.", query=PageQuery,
              response=SessionSchema, many=True)
def list_sessions(query: PageRequest) -> Page:
    items, total = sessions.list_sessions(deps(), current_auth(), limit=query.limit,
                                          skip=query.skip)
    return Page(items, total, query.limit, query.skip)


@bp.operation("PUT", "/users/self/sessions", operation_id="user-refresh-session", kinds=(),
              summary="Refresh a session.", body=RefreshSchema, response=RefreshResult,
              extra_statuses=(400, 401))
def refresh_session(body: RefreshSession) -> dict[str, Any]:
    # Not declared with kinds: the access token may have expired (or be absent); the
    # service checks that a presented one belongs to the refresh token's session.
    issued = authentication.refresh_session(deps(), body.refresh_token,
                                            presented_access_token())
    return {"token": issued.token, "refresh_token": issued.refresh_token,
            "expires_at": issued.expires}


@bp.operation("DELETE", "/users/self/sessions", operation_id="user-terminate-all-sessions",
              status=204, kinds=SESSION_ONLY,
              summary="Terminate all sessions, except the current session.")
def terminate_all_sessions() -> None:
    sessions.end_other_sessions(deps(), current_auth())


@bp.operation("GET", "/users/self/sessions/<tokenId>", operation_id="user-get-session",
              kinds=SESSION_ONLY, summary="Get a specific session.", response=SessionSchema,
              extra_statuses=(404,))
def get_session(tokenId: str) -> SessionInfo:
    return sessions.get_session(deps(), current_auth(), tokenId)


@bp.operation("DELETE", "/users/self/sessions/<tokenId>", operation_id="user-terminate-session",
              status=204, kinds=SESSION_ONLY, summary="Terminate a specific Session.",
              extra_statuses=(404,))
def terminate_session(tokenId: str) -> None:
    sessions.end_session(deps(), current_auth(), tokenId)
