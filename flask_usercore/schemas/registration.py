"""Bodies of ``POST /v2/register`` and ``POST /v2/verify-registration``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import fields, types

from ..commands.registration import Person, Register, VerifyRegistration
from .base import Email, InputSchema, ResponseSchema, UuidString
from .text import text
from .users import PersonSchema, ProfileFields


class PersonField(fields.Nested):
    """``person``, validated by :class:`~.users.PersonSchema`, loaded into a
    :class:`~flask_usercore.commands.registration.Person`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PersonSchema, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     partial: bool | types.StrSequenceOrSet | None = None,
                     **kwargs: Any) -> Person:
        return Person(**super()._deserialize(value, attr, data, partial, **kwargs))


class RegisterSchema(ProfileFields):
    """``{email, password, person}`` plus the optional Profile fields (the name is in person)."""

    class Meta:
        exclude = ("first_name", "last_name")

    command = Register
    email = Email(required=True)
    password = text(4096, min_length=1, required=True)
    person = PersonField(required=True)


class RegisterResult(ResponseSchema):
    user_id = UuidString(required=True, data_key="userId")


class VerifyRegistrationSchema(InputSchema):
    command = VerifyRegistration
    email = Email(required=True)
    token = text(16, min_length=6, required=True)
    user_id = fields.UUID(required=True, data_key="userId")
