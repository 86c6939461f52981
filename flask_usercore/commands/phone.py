"""Commands of the phone-number operations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AddPhone:
    """``POST /v2/users/{userId}/phone``: the number as typed (the service parses it)."""

    phone_number: str


@dataclass(frozen=True, slots=True)
class VerifyPhone:
    """``POST /v2/users/{userId}/actions/verify-phone``: the number and its six-digit
    code."""

    phone_number: str
    code: str
