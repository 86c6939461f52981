"""Schema helpers shared by every capability: strict JSON fields, error translation, dumping.

Marshmallow's error dict becomes the ``validationErrors`` list of the wire rules, with
JavaScript property paths (``.person.firstName``, ``.items[2]``) and ajv-style types.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from email_validator import EmailNotValidError, validate_email
from marshmallow import Schema, ValidationError, fields, post_dump, post_load

from ..commands.empty import Empty
from ..errors import N_, FieldError, Message, ValidationFailed
from .errortypes import TypedMessage, message_type, type_field
from .text import no_control_characters


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
    message = messages if isinstance(messages, Message) else str(messages)
    kind = message_type(messages)
    name = path.rsplit(".", 1)[-1]
    context = {"missingProperty": name} if kind == "required" else (
        {"additionalProperty": name} if kind == "additionalProperties" else {})
    return [FieldError(path, message, kind, context)]


def translate(error: ValidationError, *, query: bool = False) -> ValidationFailed:
    """Turn marshmallow's error into our 400, one item per failing field; its message names
    the first (``request body is invalid: .email ...``, or for the query string
    ``query parameter limit is invalid: ...``)."""
    items = sorted(_flatten(error.messages, ""), key=lambda e: e.path)
    if not items:
        return ValidationFailed(items)
    first = items[0]
    if query:
        return ValidationFailed(items, N_("query parameter %(name)s is invalid: %(message)s",
                                          name=first.path.lstrip("."), message=first.message))
    return ValidationFailed(items, N_("request body is invalid: %(path)s %(message)s",
                                      path=first.path or "body", message=first.message))


def load(schema: Schema, data: Any, *, query: bool = False) -> Any:
    """Validate a decoded JSON body (or, ``query``, the query string's parameters) against
    ``schema``: its command (``InputSchema.command``), or a dict; raise
    :class:`ValidationFailed`."""
    if not isinstance(data, dict):
        raise ValidationFailed.single("", "type", N_("the request body must be a JSON object"))
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise translate(exc, query=query) from None


class InputSchema(Schema):
    """Base of every request body and query schema.

    Each bound field gets messages and validators that carry their wire type (see
    ``errortypes``), and a string field that does not check its characters itself (a plain
    ``fields.String``, ``Email``) gets :func:`~.text.no_control_characters`.
    """

    error_messages = {
        "type": TypedMessage(N_("Invalid input type."), "type"),
        "unknown": TypedMessage(N_("Unknown field."), "additionalProperties"),
    }
    #: The frozen command (``flask_usercore/commands/``) this schema loads into, its fields
    #: named as the schema's; None: a dict. A field the client did not send takes the
    #: command's default.
    command: ClassVar[type[Any] | None] = None

    @post_load
    def _to_command(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.command(**data) if self.command is not None else data

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        """Type the field's errors; add the character check to a plain string field."""
        type_field(field_obj)
        if isinstance(field_obj, fields.String) and not getattr(
                field_obj, "checks_characters", False):
            field_obj.validators = [*field_obj.validators, no_control_characters]


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: ``"true"`` or ``1`` are type errors."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Email(fields.String):
    """An e-mail address checked by ``email-validator`` (no DNS lookup), kept as typed.

    Loads the address stripped of surrounding whitespace, otherwise as the user wrote it
    (that is how it is shown); identity comes from
    :func:`~flask_usercore.security.identity.email_key`, not from this spelling.
    """

    default_error_messages = {"invalid_email": "Not a valid email address."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > 254:
            raise ValidationError(TypedMessage(N_("Longer than maximum length %(max)s.", max=254),
                                               "maxLength"))
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            raise self.make_error("invalid_email") from exc
        return text


def rfc3339(moment: dt.datetime) -> str:
    """``2026-01-02T03:04:05Z``: RFC 3339 in UTC, seconds precision."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UtcDateTime(fields.DateTime):
    """RFC 3339 in UTC with ``Z`` on output (seconds precision); ``Z`` or offsets on input,
    of a moment between years 1 and 9999 in UTC (else the field's "not a valid datetime")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else rfc3339(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dt.datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            return result.astimezone(dt.UTC)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


class UuidString(fields.UUID):
    """A UUID, dumped as its canonical lowercase string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(uuid.UUID(str(value)))


class ResponseSchema(Schema):
    """Base of response bodies: an absent value is left out, never sent as ``null``."""

    @post_dump
    def _drop_none(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v is not None}


class EmptySchema(InputSchema):
    """A body with no fields (``{}``): any field sent is an unknown field."""

    command = Empty
