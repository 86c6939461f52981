"""Bodies of ``POST /v2/register`` and ``POST /v2/verify-registration``."""

from __future__ import annotations

from marshmallow import fields

from .base import Email, InputSchema, ResponseSchema, UuidString
from .text import text
from .users import PersonSchema, ProfileFields


class RegisterSchema(ProfileFields):
    """``{email, password, person}`` plus the optional Profile fields (the name is in person)."""

    class Meta:
        exclude = ("first_name", "last_name")

    email = Email(required=True)
    password = text(4096, min_length=1, required=True)
    person = fields.Nested(PersonSchema, required=True)


class RegisterResult(ResponseSchema):
    user_id = UuidString(required=True, data_key="userId")


class VerifyRegistrationSchema(InputSchema):
    email = Email(required=True)
    token = text(16, min_length=6, required=True)
    user_id = fields.UUID(required=True, data_key="userId")
