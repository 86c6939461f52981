"""Bodies of our OAuth2 extras: the authorized apps list (not in mittwald's document)."""

from __future__ import annotations

from marshmallow import fields

from .base import ResponseSchema, UtcDateTime


class AuthorizedAppSchema(ResponseSchema):
    """One consent: the client, the scopes allowed, when, and the last use of its tokens."""

    client_id = fields.String(data_key="clientId", required=True)
    client_name = fields.String(data_key="clientName", required=True)
    scopes = fields.List(fields.String(), required=True)
    consented_at = UtcDateTime(data_key="consentedAt", required=True)
    last_used_at = UtcDateTime(data_key="lastUsedAt")
