"""Bodies of the MFA operations: setup, status, recovery codes and the MFA login."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from ..commands.mfa import AuthenticateMfa, MultiFactorCode
from .base import InputSchema, ResponseSchema
from .text import Text, text

#: Longest ``multiFactorCode`` accepted: mittwald's 16, plus separators a person may type
#: between the groups of a recovery code (``K7QM-3XWP-9TRB-4HNC``).
CODE_MAX_LENGTH = 32


def multi_factor_code(**kwargs: Any) -> Text:
    """``multiFactorCode``: a 6-digit TOTP code or a recovery code (separators allowed)."""
    return text(CODE_MAX_LENGTH, min_length=6, data_key="multiFactorCode", **kwargs)


class MultiFactorCodeSchema(InputSchema):
    """``{multiFactorCode}`` of confirm, regenerate and disable."""

    command = MultiFactorCode
    multi_factor_code = multi_factor_code(required=True)


class AuthenticateMfaSchema(InputSchema):
    """``{email, password, multiFactorCode}`` of ``POST /v2/authenticate-mfa``."""

    command = AuthenticateMfa
    email = text(254, min_length=1, required=True)
    password = text(4096, min_length=1, required=True)
    multi_factor_code = multi_factor_code(required=True)


class MfaSetupResult(ResponseSchema):
    """``{url, barcode}``: the ``otpauth://`` URI and its QR code as a base64 PNG."""

    url = fields.String(required=True)
    barcode = fields.String(required=True)


class MfaStatusResult(ResponseSchema):
    initialized = fields.Boolean(required=True)
    confirmed = fields.Boolean(required=True)


class RecoveryCodesResult(ResponseSchema):
    """``{recoveryCodesList}``: the 20 recovery codes, shown once."""

    recovery_codes_list = fields.List(fields.String(), required=True,
                                      data_key="recoveryCodesList")
