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
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from marshmallow import ValidationError, fields, validate

#: ``validationErrors[].type`` of a message that carries no type (any other input error).
UNTYPED = "invalid"


class TypedMessage(str):
    """An error message that knows its wire type (``message.type``); formatting keeps it."""

    type: str

    def __new__(cls, message: str, type_: str) -> TypedMessage:
        """``TypedMessage("Missing data for required field.", "required")``."""
        result = super().__new__(cls, message)
        result.type = type_
        return result

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self), self.type)

    def format(self, *args: object, **kwargs: object) -> TypedMessage:
        """``str.format`` that returns a :class:`TypedMessage` of the same type."""
        return TypedMessage(str.format(self, *args, **kwargs), self.type)


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
    return ValidationError([TypedMessage(str(m), type_) for m in messages])


class Length(validate.Length):
    """``validate.Length`` whose error is ``minLength`` or ``maxLength``, by the bound missed."""

    def __call__(self, value: Any) -> Any:
        try:
            return super().__call__(value)
        except ValidationError as exc:
            low = self.equal if self.equal is not None else self.min
            short = low is not None and len(value) < low
            raise _retyped(exc, "minLength" if short else "maxLength") from None


class Range(validate.Range):
    """``validate.Range`` whose error is ``minimum`` or ``maximum``, by the bound missed."""

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
