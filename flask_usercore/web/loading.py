"""The request's body and query, loaded by the operation's declared schemas into commands,
and the way back: a service's error on a field named in Python gets its wire path.

A schema loads into the frozen command it declares (``InputSchema.command``); a service
takes the command's fields and raises :class:`~flask_usercore.errors.ValidationFailed`
naming a field as the command does (``multi_factor_code``); :func:`wire_errors` turns that
into the path the client sent (``.multiFactorCode``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

from flask import request
from marshmallow import Schema

from ..errors import N_, FieldError, PayloadTooLarge, ValidationFailed
from ..schemas.base import load
from ..services.context import ClientInfo

BodyFormat = Literal["json", "form", "multipart"]
#: The APITree header that confirms a change with the password.
PASSWORD_HEADER = "x-apitree-password"  # noqa: S105 (a header name)


def client_info() -> ClientInfo:
    """The client facts a service may record."""
    return ClientInfo(ip_address=request.remote_addr, user_agent=request.user_agent.string or None)


def raw_body(body_format: BodyFormat, limit: int) -> Any:
    """The request body as a mapping; an empty body is ``{}`` whatever its content type; a
    JSON body over ``limit`` bytes is a 413."""
    if body_format == "form":
        return request.form.to_dict()
    if body_format == "multipart":
        return {**request.form.to_dict(), **request.files.to_dict()}
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise PayloadTooLarge()
    if not data.strip():
        return {}
    if not request.is_json:
        raise ValidationFailed.single("", "contentType",
                                      N_("the request body must be sent as application/json"))
    try:
        decoded = json.loads(data)
        # A lone surrogate ("\ud800") is valid JSON but no valid text: refuse it here, before
        # a database driver fails on it.
        json.dumps(decoded, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeError is a ValueError
        raise ValidationFailed.single("", "invalidJson",
                                      N_("the request body is not valid JSON text")) from None
    return decoded


def load_query(schema: Schema) -> Any:
    """The query string loaded by ``schema`` (its command, or a dict); one that is not
    UTF-8 once percent-decoded (raw bytes) is a 400, like a body that is no text."""
    try:
        args = request.args.to_dict()
    except UnicodeDecodeError:
        raise ValidationFailed.single("", "invalidQuery",
                                      N_("the query string is not valid UTF-8 text")) from None
    return load(schema, args, query=True)


def load_body(schema: Schema, body_format: BodyFormat, confirm: str | None,
              limit: int) -> Any:
    """The body loaded by ``schema``; ``confirm`` names the command's password field that
    the ``x-apitree-password`` header may fill (:func:`confirm_password`)."""
    body = load(schema, raw_body(body_format, limit))
    return confirm_password(schema, body, confirm) if confirm else body


def confirm_password(schema: Schema, body: Any, field: str) -> Any:
    """``body`` with its confirming password ``field`` taken from the ``x-apitree-password``
    header when the body has none (at least 6 characters); 400 ``required`` on the field
    when neither has it. The one place this APITree rule is written."""
    if getattr(body, field) is not None:
        return body
    wire = wire_name(schema, field)
    header = header_password(wire)
    if header is None:
        raise ValidationFailed([FieldError(
            f".{wire}", N_("%(name)s is required, in the body or the %(header)s header",
                           name=wire, header=PASSWORD_HEADER),
            "required", {"missingProperty": wire})])
    return dataclasses.replace(body, **{field: header})


def header_password(wire: str = "") -> str | None:
    """The password of the ``x-apitree-password`` header, or None without one; 400
    ``minLength`` (on the body field ``wire`` it stands for) when shorter than 6."""
    header = request.headers.get(PASSWORD_HEADER)
    if header is not None and len(header) < 6:
        raise ValidationFailed.single(f".{wire}" if wire else "", "minLength",
                                      N_("%(header)s must have at least 6 characters",
                                         header=PASSWORD_HEADER))
    return header


def wire_name(schema: Schema | None, field: str) -> str:
    """The wire name of the command field ``field`` (its ``data_key``)."""
    declared = schema.fields.get(field) if schema is not None else None
    if declared is not None and declared.data_key:
        return declared.data_key
    if declared is not None:
        return field
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def wire_errors(error: ValidationFailed, schema: Schema | None) -> ValidationFailed:
    """``error`` with each item a service raised on a command field (``multi_factor_code``)
    given its wire path (``.multiFactorCode``) by ``schema``."""
    if any(item.field for item in error.errors):
        error.errors = [dataclasses.replace(item, path="." + wire_name(schema, item.field),
                                            field=None) if item.field else item
                        for item in error.errors]
    return error
