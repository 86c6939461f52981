"""Wire types of input errors, derived from marshmallow's error *keys*, never from message text.

Marshmallow reports errors as plain messages; the key that chose a message (``required``,
``null``, ``invalid``...) is gone by the time :func:`~flask_usercore.schemas.base.translate`
sees them. A :class:`TypedMessage` is a ``str`` that carries its ajv-style wire type and keeps
it through ``str.format`` (marshmallow formats every message before it raises), so the type
travels inside the error dict itself.

:func:`type_field` installs typed messages on a field, keyed on the error key and the field's
class, and swaps marshmallow's validators for typed ones. ``InputSchema`` (schemas/base.py)
calls it for every field it binds, so plain ``fields.X`` and ``validate.X`` just work. A
validator function of our own raises ``ValidationError(TypedMessage(message, type))``.

A typed message is also a translatable :class:`~flask_usercore.errors.Message`: marshmallow's
``{name}`` placeholders become the msgid's ``%(name)s`` and ``format`` keeps the values, so
``"Shorter than minimum length {min}."`` is the msgid ``"Shorter than minimum length
%(min)s."`` with ``min=1`` (translated where the JSON is built). :data:`MARSHMALLOW_MESSAGES`
marks marshmallow's own messages for the catalogues.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..errors import N_, Message

#: ``validationErrors[].type`` of a message that carries no type (any other input error).
UNTYPED = "invalid"

_BRACES = re.compile(r"\{(\w+)\}")
_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def msgid_of(message: str) -> str:
    """The msgid of a marshmallow message: its ``{name}`` placeholders as ``%(name)s``."""
    if isinstance(message, Message):
        return message.msgid
    if "{" not in message or "%" in message:
        return message
    return _BRACES.sub(r"%(\1)s", message)


class TypedMessage(Message):
    """An error message that knows its wire type (``message.type``); formatting keeps it."""

    type: str

    def __new__(cls, message: str, type_: str) -> TypedMessage:
        """``TypedMessage("Missing data for required field.", "required")``; a
        :class:`~flask_usercore.errors.Message` keeps its msgid and values."""
        values = message.values if isinstance(message, Message) else {}
        result = Message.__new__(cls, msgid_of(message), **values)
        assert isinstance(result, TypedMessage)  # noqa: S101 (for mypy)
        result.type = type_
        return result

    def format(self, *args: object, **kwargs: object) -> TypedMessage:
        """marshmallow's ``str.format``: the named values the msgid uses fill it in; the
        result is a :class:`TypedMessage` of the same type."""
        if self.msgid == str(self) and "{" in self.msgid and "%" in self.msgid:
            # braces next to a literal %: not a msgid of ours, formatted as marshmallow does
            return TypedMessage(str.format(self, *args, **kwargs), self.type)
        names = set(_PLACEHOLDER.findall(self.msgid))
        values = {name: kwargs[name] for name in names if name in kwargs}
        if self.values or not names or len(values) < len(names):
            return self  # filled already, nothing to fill, or a placeholder left unfilled
        return TypedMessage(Message(self.msgid, **values), self.type)


def message_type(message: object) -> str:
    """The wire type of one marshmallow message (:data:`UNTYPED` for a plain string)."""
    return message.type if isinstance(message, TypedMessage) else UNTYPED


def typed_error(message: str, type_: str) -> ValidationError:
    """A ``ValidationError`` whose message has wire type ``type_`` (for validator functions)."""
    return ValidationError(TypedMessage(message, type_))


# -- field error keys ------------------------------------------------------------------------

#: Error keys whose type does not depend on the field's class.
_KEY_TYPES = {
    "required": "required",
    "null": "type",
    "type": "type",  # Nested, Schema: not an object / not a list
    "not_string": "type",
    "invalid_utf8": "type",
    "special": "type",  # Float: nan, infinity
    "too_large": "maximum",
    "format": "format",
    "invalid_uuid": "format",
    "invalid_awareness": "format",
    "invalid_ip": "format",
    "invalid_ip_interface": "format",
    "invalid_email": "format",  # schemas.base.Email
}

#: Fields whose ``invalid`` means "a string, but not in the format" rather than a wrong type.
_FORMAT_FIELDS: tuple[type[fields.Field[Any]], ...] = (
    fields.DateTime, fields.Date, fields.Time, fields.UUID, fields.URL, fields.Email, fields.IP,
    fields.IPInterface)


def error_type(field: fields.Field[Any], key: str) -> str:
    """The wire type of ``field``'s error ``key``.

    A field class may declare its own in ``error_types`` (``{"key": "type"}``); otherwise
    ``invalid`` is ``format`` for date-time, UUID, URL, e-mail and IP fields and ``type`` for
    every other field, and the other keys follow :data:`_KEY_TYPES` (unknown keys: ``invalid``).
    """
    declared: dict[str, str] = getattr(field, "error_types", {})
    if key in declared:
        return declared[key]
    if key == "invalid":
        return "format" if isinstance(field, _FORMAT_FIELDS) else "type"
    if key == "unknown" and isinstance(field, fields.Enum):
        return "enum"
    return _KEY_TYPES.get(key, UNTYPED)


# -- validators ------------------------------------------------------------------------------

def _retyped(error: ValidationError, type_: str) -> ValidationError:
    messages = error.messages if isinstance(error.messages, list) else [error.messages]
    return ValidationError([TypedMessage(m if isinstance(m, Message) else str(m), type_)
                            for m in messages])


def _templates(validator: validate.Validator, *names: str) -> None:
    """Make the validator's messages ``names`` translatable templates (typed later)."""
    for name in names:
        message = getattr(validator, name)
        if isinstance(message, str):
            setattr(validator, name, TypedMessage(message, UNTYPED))


class Length(validate.Length):
    """``validate.Length`` whose error is ``minLength`` or ``maxLength``, by the bound missed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _templates(self, "error", "message_min", "message_max", "message_all", "message_equal")

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except ValidationError as exc:
            low = self.equal if self.equal is not None else self.min
            short = low is not None and len(value) < low
            raise _retyped(exc, "minLength" if short else "maxLength") from None


class Range(validate.Range):
    """``validate.Range`` whose error is ``minimum`` or ``maximum``, by the bound missed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _templates(self, "error", "message_min", "message_max", "message_all")

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except ValidationError as exc:
            low = self.min is not None and (value < self.min or (
                value == self.min and not self.min_inclusive))
            raise _retyped(exc, "minimum" if low else "maximum") from None


class Regexp(validate.Regexp):
    """``validate.Regexp`` matching the *whole* value (``fullmatch``), type ``pattern``.

    ``re.match`` with ``^...$`` lets ``"ada\\n"`` through (``$`` matches before a final
    newline); ``fullmatch`` does not, and the pattern stays valid ECMA-262 for OpenAPI.
    """

    def __init__(self, regex: str, flags: int = 0, *, error: str | None = None) -> None:
        super().__init__(regex, flags, error=error)
        self.error = TypedMessage(self.error, "pattern")

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class OneOf(validate.OneOf):
    """``validate.OneOf`` with type ``enum``."""

    def __init__(self, choices: Any, labels: Any = None, *, error: str | None = None) -> None:
        super().__init__(choices, labels, error=error)
        self.error = TypedMessage(self.error, "enum")


#: marshmallow validators that format ``self.error``, and the wire type of their error.
_VALIDATOR_TYPES: tuple[tuple[type[validate.Validator], str], ...] = (
    (validate.Regexp, "pattern"), (validate.OneOf, "enum"), (validate.NoneOf, "not"),
    (validate.Equal, "const"), (validate.URL, "format"), (validate.Email, "format"))


def typed_validator(validator: Any) -> Any:
    """``validator`` with typed errors: our subclass for Length and Range, a copy with a
    typed ``error`` for the others of :data:`_VALIDATOR_TYPES`, itself for anything else."""
    if isinstance(validator, validate.Length) and not isinstance(validator, Length):
        return Length(validator.min, validator.max, equal=validator.equal,
                      error=validator.error)
    if isinstance(validator, validate.Range) and not isinstance(validator, Range):
        return Range(validator.min, validator.max, min_inclusive=validator.min_inclusive,
                     max_inclusive=validator.max_inclusive, error=validator.error)
    for kind, type_ in _VALIDATOR_TYPES:
        error = getattr(validator, "error", None)
        if isinstance(validator, kind) and isinstance(error, str) \
                and not isinstance(error, TypedMessage):
            result = copy.copy(validator)
            result.error = TypedMessage(error, type_)
            return result
    return validator


def _with_inner(field: fields.Field[Any]) -> Iterator[fields.Field[Any]]:
    yield field
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None),
             getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())]
    for each in inner:
        if isinstance(each, fields.Field):
            yield from _with_inner(each)


def type_field(field: fields.Field[Any]) -> None:
    """Give ``field`` (and the fields inside a List, Dict or Tuple) typed messages and
    validators. New dict and list objects are assigned, so nothing shared is changed."""
    for each in _with_inner(field):
        each.error_messages = {
            key: TypedMessage(message, error_type(each, key))
            if isinstance(message, str) and not isinstance(message, TypedMessage) else message
            for key, message in each.error_messages.items()}
        each.validators = [typed_validator(v) for v in each.validators]


#: marshmallow's own messages of the input fields and validators, as msgids (``{name}`` as
#: ``%(name)s``): marked here so ``pybabel extract`` puts them into the catalogues
#: (tests/test_languages.py checks that none is missing).
MARSHMALLOW_MESSAGES = (
    N_("Field may not be null."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Missing data for required field."),
    N_("Must be equal to %(other)s."),
    N_("Must be one of: %(choices)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than %(max)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
    N_("Must be greater than %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Not a valid IP address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IPv6 interface."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid period of time."),
    N_("Not a valid string."),
    N_("Not a valid tuple."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid %(awareness)s %(obj_type)s."),
    N_("Not a valid %(obj_type)s."),
    N_("Number too large."),
    N_("One or more of the choices you made was in: %(values)s."),
    N_("One or more of the choices you made was not in: %(choices)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Unknown field."),
)
