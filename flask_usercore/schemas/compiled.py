"""A response schema's ``dump`` as a plain function, built from the schema itself.

marshmallow's ``dump`` walks every field through ``Field.serialize``, ``get_value`` and the
post-dump hook on every call: for the user resource (21 fields and a nested ``person``) that
was about 150 Python calls per reply, the largest part of what a token-authenticated read
spent beyond the bare app (benchmarks/README.md). :func:`compile_dumper` reads the schema's
fields once and returns a function that gives the same dict (same keys, values and order,
``None`` left out as :class:`~.base.ResponseSchema` does), so the schema stays the one
source of the fields and their wire names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from .base import UtcDateTime, UuidString, rfc3339

Dumper = Callable[[Any], dict[str, Any]]
Getter = Callable[[Any], Any]


def compile_dumper(schema: Schema) -> Dumper:
    """``schema.dump`` of one object, compiled: the same result, fewer calls.

    Compiled: ``String``, :class:`~.base.UuidString`, :class:`~.base.UtcDateTime`,
    ``Function`` and ``Constant`` fields read from an object's attributes or a ``dict``'s
    keys; any other field is serialized by marshmallow itself, field by field. A schema
    :func:`compiled_dumper` cannot compile, and an object that is a mapping other than a
    ``dict``, are left to ``schema.dump``.
    """
    return compiled_dumper(schema) or schema.dump


def compiled_dumper(schema: Schema) -> Dumper | None:
    """The compiled dump of :func:`compile_dumper`, or None for a schema with ``many``, a
    pre-dump hook, or a post-dump hook other than :class:`~.base.ResponseSchema`'s
    dropping of ``None`` (so ``[dumper(item) for item in items]`` is the schema's dump of a
    list wherever there is a dumper)."""
    hooks = schema._hooks
    post = [name for name, *_ in hooks[POST_DUMP]]
    if schema.many or hooks[PRE_DUMP] or post != ["_drop_none"]:
        return None
    parts = [(field.data_key if field.data_key is not None else name,
              _getter(schema, name, field))
             for name, field in schema.dump_fields.items()]

    def dump(obj: Any) -> dict[str, Any]:
        if type(obj) is not dict and hasattr(obj, "__getitem__"):  # marshmallow's rules
            result: dict[str, Any] = schema.dump(obj)
            return result
        result = {}
        for key, get in parts:
            value = get(obj)
            if value is not None and value is not missing:
                result[key] = value
        return result

    return dump


def _getter(schema: Schema, name: str, field: fields.Field[Any]) -> Getter:
    """The function giving ``field``'s dumped value of an object (``missing``: left out)."""

    def by_marshmallow(obj: Any) -> Any:
        return field.serialize(name, obj, accessor=schema.get_attribute)

    kind = type(field)
    if kind is fields.Function and isinstance(field, fields.Function):
        function = field.serialize_func
        return function if function is not None else by_marshmallow
    if kind is fields.Constant and isinstance(field, fields.Constant):
        constant = field.constant
        return lambda obj: constant
    attribute = field.attribute or name
    if "." in attribute:
        return by_marshmallow
    convert = _CONVERTERS.get(kind)
    if convert is None:
        return by_marshmallow

    def get(obj: Any) -> Any:
        value = (obj.get(attribute, missing) if type(obj) is dict
                 else getattr(obj, attribute, missing))
        if value is missing:  # marshmallow's dump_default rules
            return by_marshmallow(obj)
        return None if value is None else convert(value)

    return get


def _text(value: Any) -> str:
    # fields.String: bytes are decoded, anything else str()'d
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _uuid(value: Any) -> str:
    # UuidString: the canonical lowercase form
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(str(value)))


_CONVERTERS: dict[type[fields.Field[Any]], Callable[[Any], Any]] = {
    fields.String: _text,
    UuidString: _uuid,
    UtcDateTime: rfc3339,
}
