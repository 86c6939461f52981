"""``GET /v2/users/self/credentials/support-code``: query and answer."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields

from ..commands.support_code import SupportCodeRequest
from .base import InputSchema, ResponseSchema, UtcDateTime


class SupportCodeQuery(InputSchema):
    """``?forceRecreate=true``; other query parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    command = SupportCodeRequest
    force_recreate = fields.Boolean(load_default=False, data_key="forceRecreate")


class SupportCodeResult(ResponseSchema):
    support_code = fields.String(required=True, data_key="supportCode")
    expires_at = UtcDateTime(required=True, data_key="expiresAt")
