"""The user resource: mittwald's ``User`` plus the APITree Profile fields, in one object."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import fields, pre_dump

from ..commands.users import MfaFlags, Person, UpdateProfile
from ..messages import N_
from .base import (
    Email,
    InputSchema,
    ResponseSchema,
    StrictBoolean,
    UtcDateTime,
    UuidString,
    rfc3339,
)
from .compiled import compile_dumper
from .errortypes import Length, OneOf, Regexp, typed_error
from .text import Text, check_characters, name, text

#: Letters, digits, ``.``, ``_``, ``-``, with at least one letter or digit; the whole value
#: (``Regexp`` uses ``fullmatch``: no trailing newline slips past ``$``).
NICKNAME = Regexp(r"^(?=[._-]*[A-Za-z0-9])[A-Za-z0-9._-]+$",
                  error="String does not match expected pattern [A-Za-z0-9._-] "
                        "with at least one letter or digit.")
TITLES = ("mr", "ms", "other")
ACCOUNT_TYPES = ("user", "organization")


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes ``countryCode`` accepts (upper case), from pycountry;
    the OpenAPI document lists the same ones."""
    import pycountry  # its ISO 3166 data is loaded by the first country code, not at start

    return frozenset(country.alpha_2 for country in pycountry.countries)


def _country(value: str) -> None:
    if value not in country_codes():
        raise typed_error(N_("Not a valid ISO 3166-1 alpha-2 country code."), "format")


class CountryCode(Text):
    """An ISO 3166-1 alpha-2 country code in upper case (:func:`country_codes`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=_country, **kwargs)


class HttpUrl(fields.URL):
    """An optional absolute http(s) URL of at most 2048 characters (``null`` clears it).

    A non-string is a ``type`` error, not a ``format`` one.
    """

    default_error_messages = {"not_string": "Not a valid string."}
    checks_characters = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"http", "https"}, require_tld=False, allow_none=True,
                         validate=Length(max=2048), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("not_string")
        check_characters(value)
        return super()._deserialize(value, attr, data, **kwargs)


class PersonSchema(InputSchema):
    """``commons.Person``: ``{firstName, lastName, title?}``; names are trimmed.

    Loads a dict (registration reads it so); :class:`PersonField`, the profile update's
    ``person``, makes it a :class:`~flask_usercore.commands.users.Person`.
    """

    first_name = name(120, required=True, data_key="firstName")
    last_name = name(120, required=True, data_key="lastName")
    title = Text(validate=OneOf(TITLES), data_key="title")


class PersonField(fields.Nested):
    """A ``person`` (:class:`PersonSchema`) loaded into a
    :class:`~flask_usercore.commands.users.Person`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PersonSchema, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, partial: Any = None,
                     **kwargs: Any) -> Person:
        loaded = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return loaded if isinstance(loaded, Person) else Person(**loaded)


class PersonOut(ResponseSchema):
    first_name = fields.String(data_key="firstName")
    last_name = fields.String(data_key="lastName")
    title = fields.String()


PERSON_OUT = PersonOut()
_dump_person = compile_dumper(PERSON_OUT)


class ProfileFields(InputSchema):
    """The writable APITree Profile fields; ``null`` clears an optional one.

    Names, ``displayName``, ``company`` and ``location`` are trimmed; blank after trimming
    is a ``minLength`` error (send ``null`` to clear). Names, ``displayName`` and
    ``nickname`` refuse invisible format characters.
    """

    nickname = text(60, min_length=1, allow_none=True, also=NICKNAME, format_chars=False)
    display_name = name(120, allow_none=True, data_key="displayName")
    company = text(120, min_length=1, trim=True, allow_none=True)
    location = text(120, min_length=1, trim=True, allow_none=True)
    country_code = CountryCode(allow_none=True, data_key="countryCode")
    web_url = HttpUrl(data_key="webUrl")
    picture_url = HttpUrl(data_key="pictureUrl")
    account_type = Text(validate=OneOf(ACCOUNT_TYPES), data_key="accountType")
    first_name = name(120, data_key="firstname")
    last_name = name(120, data_key="lastname")


class MfaState(InputSchema):
    command = MfaFlags

    active = StrictBoolean(required=True)
    setup = StrictBoolean(required=True)


class UserUpdateSchema(ProfileFields):
    """Body of ``PUT /v2/users/{userId}`` and ``PUT /v2/users/self/personal-information``.

    Read-only fields are accepted so that a GET body can be sent back; the service refuses
    one whose value differs from the current one. A field not sent is
    :data:`~flask_usercore.commands.users.ABSENT` in the command.
    """

    command = UpdateProfile

    person = PersonField()
    id = UuidString()
    user_id = UuidString(data_key="userId")
    email = Email()
    email_verified = StrictBoolean(data_key="emailVerified")
    mfa = fields.Nested(MfaState)
    created_at = UtcDateTime(data_key="createdAt")
    registered_at = UtcDateTime(data_key="registeredAt")
    password_updated_at = UtcDateTime(data_key="passwordUpdatedAt")
    phone_number = Text(data_key="phoneNumber")
    avatar_ref = UuidString(data_key="avatarRef")
    is_employee = StrictBoolean(data_key="isEmployee")
    customer_memberships: fields.Dict = fields.Dict(data_key="customerMemberships")
    project_memberships: fields.Dict = fields.Dict(data_key="projectMemberships")


PUBLIC_FIELDS = ("user_id", "id", "person", "nickname", "display_name", "first_name",
                 "last_name", "company", "location", "country_code", "web_url", "picture_url",
                 "account_type", "avatar_ref")


class UserFields(ResponseSchema):
    """The user resource as ``GET /v2/users/{userId}`` answers it (its owner's view; others
    see the :data:`PUBLIC_FIELDS`)."""

    user_id = fields.Function(lambda u: str(u.id), data_key="userId")
    id = UuidString()
    person = fields.Function(lambda u: _dump_person(u))
    email = fields.String()
    email_verified = fields.Function(lambda u: u.email_verified_at is not None,
                                     data_key="emailVerified")
    mfa = fields.Function(lambda u: {"active": u.mfa_active, "setup": u.mfa_setup})
    registered_at = fields.Function(lambda u: rfc3339(u.created_at), data_key="registeredAt")
    created_at = UtcDateTime(data_key="createdAt")
    password_updated_at = UtcDateTime(data_key="passwordUpdatedAt")
    phone_number = fields.String(data_key="phoneNumber")
    avatar_ref = UuidString(data_key="avatarRef")
    is_employee = fields.Constant(False, data_key="isEmployee")
    customer_memberships: fields.Constant[dict[str, Any]] = fields.Constant(
        {}, data_key="customerMemberships")
    project_memberships: fields.Constant[dict[str, Any]] = fields.Constant(
        {}, data_key="projectMemberships")
    account_type = fields.String(data_key="accountType")
    nickname = fields.String()
    display_name = fields.String(data_key="displayName")
    first_name = fields.String(data_key="firstname")
    last_name = fields.String(data_key="lastname")
    company = fields.String()
    location = fields.String()
    country_code = fields.String(data_key="countryCode")
    web_url = fields.String(data_key="webUrl")
    picture_url = fields.String(data_key="pictureUrl")


USER_FULL = UserFields()
USER_PUBLIC = UserFields(only=PUBLIC_FIELDS)
#: ``USER_FULL.dump`` and ``USER_PUBLIC.dump``, compiled (the hot reply of an authenticated read).
_DUMP_FULL = compile_dumper(USER_FULL)
_DUMP_PUBLIC = compile_dumper(USER_PUBLIC)


def dump_user(user: Any, *, full: bool = True) -> dict[str, Any]:
    """The JSON of ``user``: everything for its owner, the public profile for others."""
    return (_DUMP_FULL if full else _DUMP_PUBLIC)(user)


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as the caller may see it: ``full`` for its owner, else the public profile."""

    user: Any
    full: bool


class UserSchema(UserFields):
    """The declared response of ``GET /v2/users/{userId}`` (the document's ``User``: the
    fields of :class:`UserFields`): dumps a :class:`UserView` with the compiled dumper of
    its view, the full resource or the public profile."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if self.many if many is None else many:
            return [self.dump(item, many=False) for item in obj]
        return (_DUMP_FULL if obj.full else _DUMP_PUBLIC)(obj.user)

    @pre_dump
    def _dumps_itself(self, obj: Any, **kwargs: Any) -> Any:
        """Never runs (``dump`` above replaces marshmallow's): a pre-dump hook is what tells
        :func:`~.compiled.compiled_dumper` to leave this schema's dump alone."""
        return obj
