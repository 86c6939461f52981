"""Commands of registration and its verification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .users import Person

__all__ = ["Person", "Register", "VerifyRegistration"]


@dataclass(frozen=True, slots=True)
class Register:
    """``POST /v2/register`` (and ``flask usercore create-user``): e-mail, password, the
    person, and the optional Profile fields (absent: the column's default)."""

    email: str
    password: str
    person: Person
    nickname: str | None = None
    display_name: str | None = None
    company: str | None = None
    location: str | None = None
    country_code: str | None = None
    web_url: str | None = None
    picture_url: str | None = None
    account_type: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyRegistration:
    """``POST /v2/verify-registration``: the mailed code of the account."""

    email: str
    token: str
    user_id: uuid.UUID
