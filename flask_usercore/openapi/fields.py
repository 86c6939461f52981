"""What the document says of a field beyond apispec's own conversion: the server's rules.

- Every text field and query parameter whose characters the server checks
  (``schemas/text.py``: a ``Text`` field, a plain string of an ``InputSchema``, an
  ``HttpUrl``) gets a ``pattern`` refusing the control characters it refuses, unless a
  stricter ``pattern`` or an ``enum`` already says more; a field that also refuses invisible
  format characters says so in its description.
- ``countryCode`` (:class:`~flask_usercore.schemas.users.CountryCode`) is the ``enum`` of
  the ISO 3166-1 alpha-2 codes the server accepts (the same list).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from ..schemas.text import (
    MULTILINE_PATTERN,
    SINGLE_LINE_PATTERN,
    Text,
    no_control_characters,
)
from ..schemas.users import CountryCode, HttpUrl, country_codes

#: Said of every field with the rule (and in the document's description).
RULE = ("Text refuses control characters (U+0000-U+001F, U+007F-U+009F, lone surrogates; "
        "U+2028 and U+2029 unless multi-line): a 400.")
_INVISIBLE = "Refuses invisible format characters (bidi controls, zero-width characters)."


def _refuses_controls(field: fields.Field[Any]) -> bool:
    return (isinstance(field, Text | HttpUrl)
            or (isinstance(field, fields.String)
                and no_control_characters in field.validators))


def character_rules(self: Any, field: fields.Field[Any], ret: dict[str, Any],
                    **_: Any) -> dict[str, Any]:
    """apispec attribute function: ``pattern`` (and description) of the character rule."""
    if not _refuses_controls(field):
        return {}
    extra: dict[str, Any] = {}
    if "pattern" not in ret and "enum" not in ret:
        extra["pattern"] = (MULTILINE_PATTERN if getattr(field, "multiline", False)
                            else SINGLE_LINE_PATTERN)
    if isinstance(field, Text) and not field.format_chars:
        described = ret.get("description")
        extra["description"] = f"{described} {_INVISIBLE}" if described else _INVISIBLE
    return extra


def country_enum(self: Any, field: fields.Field[Any], ret: dict[str, Any],
                 **_: Any) -> dict[str, Any]:
    """apispec attribute function: ``countryCode``'s ISO 3166-1 alpha-2 ``enum``."""
    if not isinstance(field, CountryCode):
        return {}
    codes: list[str | None] = [*sorted(country_codes())]
    if field.allow_none:
        codes.append(None)
    return {"enum": codes, "description": "ISO 3166-1 alpha-2 country code (upper case)."}


ATTRIBUTE_FUNCTIONS = (character_rules, country_enum)
