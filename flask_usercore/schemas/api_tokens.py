"""Bodies of the API-token operations: ``ApiToken``, create and edit."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from marshmallow import fields, validate

from ..commands.api_tokens import CreateApiToken, EditApiToken
from ..messages import N_
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .errortypes import typed_error
from .text import text

#: The roles an API token may have (``ApiToken.roles``).
ROLES = ("api_read", "api_write")
#: Our role of an API token for the admin API (docs/admin.md): only a holder of the
#: permission ``usercore.admin`` may create a token with it, beside ``api_read`` or
#: ``api_write``; ``ApiToken.roles`` does not show it (mittwald's enum), ``admin`` does.
ADMIN_ROLE = "usercore.admin"
#: Longest description, in characters (the column's width).
DESCRIPTION_MAX = 255


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise typed_error(N_("Items must be unique."), "uniqueItems")


def _not_alone(values: list[Any]) -> None:
    if values and not set(values) & set(ROLES):
        raise typed_error(N_("Must contain api_read or api_write."), "contains")


def _future(value: dt.datetime) -> None:
    if value <= dt.datetime.now(dt.UTC):
        raise typed_error(N_("Must be in the future."), "formatMinimum")


class ApiTokenEditSchema(InputSchema):
    """``PUT .../api-tokens/{apiTokenId}``: ``description`` and ``expiresAt`` (PUT replaces:
    without ``expiresAt`` the token no longer expires)."""

    command: ClassVar[type[Any] | None] = EditApiToken
    description = text(DESCRIPTION_MAX, min_length=1, required=True)
    expires_at = UtcDateTime(data_key="expiresAt", validate=_future)


class ApiTokenCreateSchema(ApiTokenEditSchema):
    """``POST /v2/users/self/api-tokens``: ``description``, ``roles`` and ``expiresAt``."""

    command = CreateApiToken
    roles = fields.List(fields.String(validate=validate.OneOf((*ROLES, ADMIN_ROLE))),
                        required=True, validate=[validate.Length(min=1), _unique, _not_alone],
                        metadata={"uniqueItems": True})


class ApiTokenSchema(ResponseSchema):
    """``signup.ApiToken``, plus ``lastUsed`` (accurate to the last-access flush interval)."""

    api_token_id = UuidString(required=True, data_key="apiTokenId")
    created_at = UtcDateTime(required=True, data_key="createdAt")
    description = fields.String(required=True)
    expires_at = UtcDateTime(data_key="expiresAt")
    roles = fields.Function(lambda token: [r for r in token.roles if r in ROLES],
                            required=True)
    #: Ours: the token was created with the role ``usercore.admin`` (docs/admin.md).
    admin = fields.Function(lambda token: ADMIN_ROLE in token.roles, required=True)
    last_used = UtcDateTime(data_key="lastUsed")


class ApiTokenCreated(ResponseSchema):
    """The 201 of create: ``{token}``, the only time the secret is shown."""

    token = fields.String(required=True)
