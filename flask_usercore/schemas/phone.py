"""Bodies of the phone-number operations (the number is parsed by the service)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..commands.phone import AddPhone, VerifyPhone
from .base import InputSchema
from .errortypes import Regexp
from .text import text

#: Longest phone number as typed (spaces, dashes and brackets included).
MAX_PHONE_INPUT = 64


class PhoneSchema(InputSchema):
    """``{phoneNumber}``, e.g. ``+491701234567``."""

    command: ClassVar[type[Any] | None] = AddPhone
    phone_number = text(MAX_PHONE_INPUT, min_length=1, required=True, data_key="phoneNumber")


class VerifyPhoneSchema(PhoneSchema):
    """``{phoneNumber, code}``; the code has exactly six digits."""

    command = VerifyPhone
    code = text(6, min_length=6, required=True,
                also=Regexp(r"[0-9]*", error="The code has only digits."))
