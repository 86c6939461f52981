"""Bodies of the session operations: ``UserSession``, refresh in and out."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..commands.sessions import RefreshSession
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .text import text

if TYPE_CHECKING:
    from ..services.sessions import SessionLocation


@lru_cache(maxsize=4096)
def _location(place: SessionLocation) -> dict[str, str]:
    """The document's ``Location``: the known ones of ``city``, ``country``, ``ipAddress``."""
    where = {"city": place.city, "country": place.country, "ipAddress": place.ip_address}
    return {key: value for key, value in where.items() if value}


def _session_location(session: Any) -> dict[str, str] | None:
    return None if session.location is None else _location(session.location)


class SessionSchema(ResponseSchema):
    """``signup.UserSession``; ``tokenId`` is the session's id (stable across refreshes)."""

    token_id = UuidString(required=True, data_key="tokenId")
    created = UtcDateTime(required=True)
    last_access = UtcDateTime(data_key="lastAccess")
    #: ``device`` comes from the service as a dict of the document's keys, ``location`` is
    #: made one here, cached per place (a nested schema per item cost three quarters of a
    #: 100-item list).
    device = fields.Raw(required=True, metadata={"description": "DeviceInfo: browser, os, "
                                                                "model, type"})
    location = fields.Function(_session_location,
                               metadata={"description": "Location: ipAddress, city, country"})


class RefreshSchema(InputSchema):
    """``PUT /v2/users/self/sessions``: ``{refreshToken}``."""

    command = RefreshSession
    refresh_token = text(512, min_length=1, required=True, data_key="refreshToken")


class RefreshResult(ResponseSchema):
    """``{token, refreshToken, expiresAt}`` of a refresh or a retrieval-key login."""

    token = fields.String(required=True)
    refresh_token = fields.String(required=True, data_key="refreshToken")
    expires_at = UtcDateTime(required=True, data_key="expiresAt")
