"""Bodies of the password operations: change, last change, reset."""

from __future__ import annotations

from marshmallow import fields

from ..commands.passwords import ChangePassword, ConfirmPasswordReset, InitPasswordReset
from .base import Email, InputSchema, ResponseSchema, UtcDateTime
from .mfa import multi_factor_code
from .text import text

#: ``token`` of ``confirm-reset``: exactly 20 characters (mittwald's document).
RESET_TOKEN_LENGTH = 20


class ChangePasswordSchema(InputSchema):
    """``{oldPassword, newPassword, multiFactorCode?}``; the old password may instead come
    in the ``x-apitree-password`` header."""

    command = ChangePassword
    old_password = text(4096, min_length=1, data_key="oldPassword")
    new_password = text(4096, min_length=1, required=True, data_key="newPassword")
    multi_factor_code = multi_factor_code()


class PasswordUpdatedAtResult(ResponseSchema):
    password_updated_at = UtcDateTime(required=True, data_key="passwordUpdatedAt")


class InitPasswordResetSchema(InputSchema):
    command = InitPasswordReset
    email = Email(required=True)


class ConfirmPasswordResetSchema(InputSchema):
    command = ConfirmPasswordReset
    password = text(4096, min_length=1, required=True)
    token = text(RESET_TOKEN_LENGTH, min_length=RESET_TOKEN_LENGTH, required=True)
    user_id = fields.UUID(required=True, data_key="userId")
