"""Bodies of the e-mail address operations: read, change, resend, verify."""

from __future__ import annotations

from marshmallow import fields

from ..commands.email_change import ChangeEmail, ResendEmail, VerifyEmail
from .base import Email, InputSchema, ResponseSchema
from .text import text


class EmailResult(ResponseSchema):
    email = fields.String(required=True)


class ChangeEmailSchema(InputSchema):
    """``{email}`` plus the password that confirms the change (APITree: in the body, or the
    ``x-apitree-password`` header)."""

    command = ChangeEmail
    email = Email(required=True)
    password = text(4096, min_length=1)


class ResendEmailSchema(InputSchema):
    command = ResendEmail
    email = Email(required=True)
    user_id = fields.UUID(required=True, data_key="userId")


class VerifyEmailSchema(InputSchema):
    command = VerifyEmail
    email = Email(required=True)
    token = text(64, min_length=1)
