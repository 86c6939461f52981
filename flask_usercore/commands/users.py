"""Commands of the profile update (``PUT /v2/users/{userId}``,
``PUT /v2/users/self/personal-information``).

The update is partial: a field the client did not send is :data:`ABSENT` (keep it), while
``null`` (``None``) clears an optional one. Read-only fields may be sent back as a GET gave
them; the service refuses one whose value differs from the stored one.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, Literal, TypeAlias, TypeVar


class Absent(enum.Enum):
    """The type of :data:`ABSENT`."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: A field the client did not send (not ``null``: that is ``None``).
ABSENT: Final = Absent.ABSENT
T = TypeVar("T")
#: The type of a field that may be left out: ``Maybe[str | None]``.
Maybe: TypeAlias = T | Literal[Absent.ABSENT]


@dataclass(frozen=True, slots=True)
class Person:
    """``commons.Person``: first and last name, an optional title (``mr``, ``ms``,
    ``other``)."""

    first_name: str
    last_name: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class MfaFlags:
    """The user resource's ``mfa``: ``{active, setup}`` (read-only)."""

    active: bool
    setup: bool


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    """A profile write: ``person`` and the APITree Profile fields, each :data:`ABSENT`
    unless sent; ``None`` clears an optional one. The read-only fields of the user resource
    are accepted so that a GET body can be sent back unchanged."""

    person: Maybe[Person] = ABSENT
    nickname: Maybe[str | None] = ABSENT
    display_name: Maybe[str | None] = ABSENT
    company: Maybe[str | None] = ABSENT
    location: Maybe[str | None] = ABSENT
    country_code: Maybe[str | None] = ABSENT
    web_url: Maybe[str | None] = ABSENT
    picture_url: Maybe[str | None] = ABSENT
    account_type: Maybe[str] = ABSENT
    #: ``firstname``/``lastname``: the flat mirror of ``person``'s names.
    first_name: Maybe[str] = ABSENT
    last_name: Maybe[str] = ABSENT
    # read-only: must repeat the stored value
    id: Maybe[uuid.UUID] = ABSENT
    user_id: Maybe[uuid.UUID] = ABSENT
    email: Maybe[str] = ABSENT
    email_verified: Maybe[bool] = ABSENT
    mfa: Maybe[MfaFlags] = ABSENT
    created_at: Maybe[dt.datetime] = ABSENT
    registered_at: Maybe[dt.datetime] = ABSENT
    password_updated_at: Maybe[dt.datetime] = ABSENT
    phone_number: Maybe[str] = ABSENT
    avatar_ref: Maybe[uuid.UUID] = ABSENT
    is_employee: Maybe[bool] = ABSENT
    customer_memberships: Maybe[Mapping[str, Any]] = ABSENT
    project_memberships: Maybe[Mapping[str, Any]] = ABSENT

    def sent(self) -> dict[str, Any]:
        """The fields the client sent, with their values (``None`` included)."""
        return {f.name: value for f in fields(self)
                if (value := getattr(self, f.name)) is not ABSENT}
