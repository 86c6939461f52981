"""Bodies of the API-token operations: ``ApiToken``, create and edit."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from marshmallow import fields, validate

from ..commands.api_tokens import CreateApiToken, EditApiToken
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .errortypes import typed_error
from .text import text

#: The roles an API token may have (``ApiToken.roles``).
ROLES = ("api_read", "api_write")
#: Longest description, in characters (the column's width).
DESCRIPTION_MAX = 255


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise typed_error("Items must be unique.", "uniqueItems")


def _future(value: dt.datetime) -> None:
    if value <= dt.datetime.now(dt.UTC):
        raise typed_error("Must be in the future.", "formatMinimum")


class ApiTokenEditSchema(InputSchema):
    """``PUT .../api-tokens/{apiTokenId}``: ``description`` and ``expiresAt`` (PUT replaces:
    without ``expiresAt`` the token no longer expires)."""

    command: ClassVar[type[Any] | None] = EditApiToken
    description = text(DESCRIPTION_MAX, min_length=1, required=True)
    expires_at = UtcDateTime(data_key="expiresAt", validate=_future)


class ApiTokenCreateSchema(ApiTokenEditSchema):
    """``POST /v2/users/self/api-tokens``: ``description``, ``roles`` and ``expiresAt``."""

    command = CreateApiToken
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=[validate.Length(min=1), _unique],
                        metadata={"uniqueItems": True})


class ApiTokenSchema(ResponseSchema):
    """``signup.ApiToken``, plus ``lastUsed`` (accurate to the last-access flush interval)."""

    api_token_id = UuidString(required=True, data_key="apiTokenId")
    created_at = UtcDateTime(required=True, data_key="createdAt")
    description = fields.String(required=True)
    expires_at = UtcDateTime(data_key="expiresAt")
    roles = fields.List(fields.String(), required=True)
    last_used = UtcDateTime(data_key="lastUsed")


class ApiTokenCreated(ResponseSchema):
    """The 201 of create: ``{token}``, the only time the secret is shown."""

    token = fields.String(required=True)
