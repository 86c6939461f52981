"""Bodies of the passkey operations (docs/passkeys.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_dump

from ..commands.passkeys import (
    PasskeyLogin,
    PasskeyLoginOptions,
    PasskeySecondFactor,
    PasskeySecondFactorOptions,
    RegisterPasskey,
    RenamePasskey,
)
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .text import name, text

#: Longest passkey name.
MAX_NAME = 64


def _credential() -> fields.Dict:
    return fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "The browser's PublicKeyCredential as JSON (its toJSON()): id, rawId, "
                       "type, response, clientExtensionResults, authenticatorAttachment."})


class RegisterPasskeySchema(InputSchema):
    """``{credential, name?}``."""

    command = RegisterPasskey
    credential = _credential()
    name = name(MAX_NAME)


class RenamePasskeySchema(InputSchema):
    """``{name}``."""

    command = RenamePasskey
    name = name(MAX_NAME, required=True)


class PasskeyLoginOptionsSchema(InputSchema):
    """``{email?}``."""

    command = PasskeyLoginOptions
    email = text(254, min_length=1)


class PasskeyLoginSchema(InputSchema):
    """``{credential}``."""

    command = PasskeyLogin
    credential = _credential()


class PasskeySecondFactorOptionsSchema(InputSchema):
    """``{email, password}``: the first factor, as for ``authenticate-mfa``."""

    command = PasskeySecondFactorOptions
    email = text(254, min_length=1, required=True)
    password = text(4096, min_length=1, required=True)


class PasskeySecondFactorSchema(InputSchema):
    """``{email, password, credential}``."""

    command = PasskeySecondFactor
    email = text(254, min_length=1, required=True)
    password = text(4096, min_length=1, required=True)
    credential = _credential()


class PasskeyOptionsResult(ResponseSchema):
    """``{publicKey}``: the options for ``navigator.credentials.create()`` or ``.get()`` in
    their JSON form (``PublicKeyCredential.parseCreationOptionsFromJSON`` /
    ``parseRequestOptionsFromJSON``)."""

    public_key = fields.Dict(data_key="publicKey", required=True)


class PasskeySchema(ResponseSchema):
    """One passkey as listed: never its key or credential id."""

    passkey_id = UuidString(attribute="id", data_key="passkeyId")
    name = fields.String()
    transports = fields.Function(lambda passkey: passkey.transports.split())
    backup_eligible = fields.Boolean(data_key="backupEligible")
    backed_up = fields.Boolean(data_key="backedUp")
    created_at = UtcDateTime(data_key="createdAt")
    last_used_at = UtcDateTime(data_key="lastUsedAt")


class PasskeyListSchema(ResponseSchema):
    """``{passkeys: [...]}``."""

    passkeys = fields.List(fields.Nested(PasskeySchema))

    @pre_dump
    def _envelope(self, items: Any, **kwargs: Any) -> dict[str, Any]:
        return {"passkeys": items}


class PasskeyCreatedSchema(ResponseSchema):
    """``{passkeyId}`` of a registration."""

    passkey_id = UuidString(attribute="id", data_key="passkeyId")
