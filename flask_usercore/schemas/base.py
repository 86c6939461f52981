"""Schema helpers shared by every capability: strict JSON fields, error translation, dumping.

Marshmallow's error dict becomes the ``validationErrors`` list of the wire rules, with
JavaScript property paths (``.person.firstName``, ``.items[2]``) and ajv-style types.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import Schema, ValidationError, fields, post_dump, validate

from ..errors import FieldError, ValidationFailed

_MESSAGE_TYPES = (
    ("Missing data for required field", "required"),
    ("Unknown field", "additionalProperties"),
    ("Field may not be null", "type"),
    ("Not a valid string", "type"),
    ("Not a valid integer", "type"),
    ("Not a valid boolean", "type"),
    ("Not a valid number", "type"),
    ("Not a valid mapping", "type"),
    ("Not a valid list", "type"),
    ("Invalid input type", "type"),
    ("Longer than maximum length", "maxLength"),
    ("Shorter than minimum length", "minLength"),
    ("Length must be", "maxLength"),
    ("Must be one of", "enum"),
    ("String does not match expected pattern", "pattern"),
    ("Must be greater than or equal", "minimum"),
    ("Must be less than or equal", "maximum"),
    ("Not a valid", "format"),
)


def _error_type(message: str) -> str:
    for prefix, kind in _MESSAGE_TYPES:
        if message.startswith(prefix):
            return kind
    return "invalid"


def _flatten(messages: Any, path: str) -> list[FieldError]:
    if isinstance(messages, Mapping):
        out: list[FieldError] = []
        for key, value in messages.items():
            if key == "_schema":
                out += _flatten(value, path)
            elif isinstance(key, int):
                out += _flatten(value, f"{path}[{key}]")
            else:
                out += _flatten(value, f"{path}.{key}")
        return out
    if isinstance(messages, list):
        return [e for m in messages for e in _flatten(m, path)]
    message = str(messages)
    kind = _error_type(message)
    name = path.rsplit(".", 1)[-1]
    context = {"missingProperty": name} if kind == "required" else (
        {"additionalProperty": name} if kind == "additionalProperties" else {})
    return [FieldError(path, message, kind, context)]


def translate(error: ValidationError) -> ValidationFailed:
    """Turn marshmallow's error into our 400, one item per failing field."""
    items = sorted(_flatten(error.messages, ""), key=lambda e: e.path)
    return ValidationFailed(items, f"request body is invalid: {items[0].path or 'body'} "
                                   f"{items[0].message}" if items else None)


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate a decoded JSON body against ``schema``; raise :class:`ValidationFailed`."""
    if not isinstance(data, dict):
        raise ValidationFailed.single("", "type", "the request body must be a JSON object")
    try:
        result: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise translate(exc) from None
    return result


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: ``"true"`` or ``1`` are type errors."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Email(fields.String):
    """An e-mail address checked and normalized by ``email-validator`` (no DNS lookup)."""

    default_error_messages = {"invalid_email": "Not a valid email address."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 254:
            raise ValidationError("Longer than maximum length 254.")
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise self.make_error("invalid_email") from exc


def rfc3339(moment: dt.datetime) -> str:
    """``2026-01-02T03:04:05Z``: RFC 3339 in UTC, seconds precision."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UtcDateTime(fields.DateTime):
    """RFC 3339 in UTC with ``Z`` on output (seconds precision); ``Z`` or offsets on input."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else rfc3339(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dt.datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return result.astimezone(dt.UTC)


class UuidString(fields.UUID):
    """A UUID, dumped as its canonical lowercase string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(uuid.UUID(str(value)))


class ResponseSchema(Schema):
    """Base of response bodies: an absent value is left out, never sent as ``null``."""

    @post_dump
    def _drop_none(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v is not None}


class EmptySchema(Schema):
    """A body with no fields (``{}``): any field sent is an unknown field."""


def text(max_length: int, *, min_length: int = 0, also: Any = None,
         **kwargs: Any) -> fields.String:
    """A string field with separate min/max checks (so the error type says which failed)."""
    checks: list[Any] = [validate.Length(max=max_length)]
    if min_length:
        checks.insert(0, validate.Length(min=min_length))
    if also is not None:
        checks.append(also)
    return fields.String(validate=checks, **kwargs)
