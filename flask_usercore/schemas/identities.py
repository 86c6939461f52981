"""Bodies of the sign-in by provider and the linked identities (docs/providers.md)."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields

from ..commands.identities import ProviderMfa, ProviderQuery
from .base import InputSchema, ResponseSchema, UtcDateTime
from .mfa import multi_factor_code


class ProviderQuerySchema(InputSchema):
    """``?cookieOnly=true`` on the start of a sign-in; other query parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    command = ProviderQuery

    cookie_only = fields.Boolean(load_default=False, data_key="cookieOnly")


class ProviderMfaSchema(InputSchema):
    """``{multiFactorCode}``: the second factor of a sign-in by provider."""

    command = ProviderMfa
    multi_factor_code = multi_factor_code(required=True)


class ProviderSchema(ResponseSchema):
    """A configured provider: ``{name, title}``."""

    name = fields.String()
    title = fields.String()


class IdentitySchema(ResponseSchema):
    """A linked identity: the provider, who the user is there, when it was linked and last
    used."""

    provider = fields.String()
    issuer = fields.String()
    subject = fields.String()
    email = fields.String(allow_none=True)
    created_at = UtcDateTime(data_key="createdAt")
    last_used_at = UtcDateTime(data_key="lastUsedAt", allow_none=True)


class AuthorizationUrlSchema(ResponseSchema):
    """``{authorizationUrl}``: where the browser goes to link a provider's account."""

    authorization_url = fields.String(data_key="authorizationUrl")


class ProviderSecondFactorSchema(ResponseSchema):
    """The 202 of a sign-in by provider for an account with MFA (``signup.DomainError``)."""

    name = fields.Constant("SecondFactorRequired", dump_only=True)
    message = fields.Constant("multi factor authentication is active for this user: call "
                              "POST {prefix}/providers/authenticate-mfa with multiFactorCode",
                              dump_only=True)
