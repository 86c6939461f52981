"""Bodies of login, logout and the token checks."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields

from ..commands.authentication import Login, LoginQuery
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .text import text


class AuthenticateSchema(InputSchema):
    command = Login
    email = text(254, min_length=1, required=True)
    password = text(4096, min_length=1, required=True)


class AuthenticateQuery(InputSchema):
    """``?cookieOnly=true``; other query parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    command = LoginQuery

    cookie_only = fields.Boolean(load_default=False, data_key="cookieOnly")


class TokenResult(ResponseSchema):
    """``{token, refreshToken, expires}`` of a login."""

    token = fields.String(required=True)
    refresh_token = fields.String(required=True, data_key="refreshToken")
    expires = UtcDateTime(required=True)


class CheckTokenResult(ResponseSchema):
    id = UuidString(required=True)
    public_token = fields.String(required=True, data_key="publicToken")


class SessionStatus(ResponseSchema):
    user_id = UuidString(required=True, data_key="userId")
    token_id = UuidString(required=True, data_key="tokenId")
    is_impersonated = fields.Boolean(required=True, data_key="isImpersonated")
    is_employee = fields.Boolean(required=True, data_key="isEmployee")


class SecondFactorRequiredSchema(ResponseSchema):
    """The login's 202 (``signup.DomainError``): MFA is on, repeat with a code."""

    name = fields.Constant("SecondFactorRequired", dump_only=True)
    message = fields.Constant("multi factor authentication is active for this user: call "
                              "POST /v2/authenticate-mfa with multiFactorCode", dump_only=True)
