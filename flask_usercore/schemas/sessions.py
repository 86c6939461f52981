"""Bodies of the session operations: ``UserSession``, refresh in and out."""

from __future__ import annotations

from marshmallow import fields

from ..commands.sessions import RefreshSession
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .text import text


class SessionSchema(ResponseSchema):
    """``signup.UserSession``; ``tokenId`` is the session's id (stable across refreshes)."""

    token_id = UuidString(required=True, data_key="tokenId")
    created = UtcDateTime(required=True)
    last_access = UtcDateTime(data_key="lastAccess")
    #: ``device`` and ``location`` come from the service as dicts with their wire keys
    #: (a nested schema per item cost three quarters of a 100-item list).
    device = fields.Raw(required=True, metadata={"description": "DeviceInfo: browser, os, "
                                                                "model, type"})
    location = fields.Raw(metadata={"description": "Location: ipAddress, city, country"})


class RefreshSchema(InputSchema):
    """``PUT /v2/users/self/sessions``: ``{refreshToken}``."""

    command = RefreshSession
    refresh_token = text(512, min_length=1, required=True, data_key="refreshToken")


class RefreshResult(ResponseSchema):
    """``{token, refreshToken, expiresAt}`` of a refresh or a retrieval-key login."""

    token = fields.String(required=True)
    refresh_token = fields.String(required=True, data_key="refreshToken")
    expires_at = UtcDateTime(required=True, data_key="expiresAt")
