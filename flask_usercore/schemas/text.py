"""Text fields with input hygiene.

Every string we accept refuses control characters (Unicode category ``Cc``: NUL, escape,
CR, LF...) and lone surrogates (``Cs``); PostgreSQL cannot store a NUL, logs and terminals
should never see the others. A single-line field also refuses the Unicode line and paragraph
separators (U+2028, U+2029); a ``multiline`` one keeps LF and tab. Names refuse the invisible
*format* characters (``Cf``: bidi overrides and isolates, zero-width space/joiners, BOM...)
that let one name pose as another, and are trimmed. Every refusal has the wire type
:data:`CONTROL_CHARACTERS` and names the character (``U+202E``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from marshmallow import ValidationError, fields

from ..messages import N_
from .errortypes import Length, TypedMessage

#: ``validationErrors[].type`` of a refused character.
CONTROL_CHARACTERS = "controlCharacters"
#: The rule as a JSON Schema ``pattern`` (the OpenAPI document's): no C0 or C1 control, no
#: U+2028 or U+2029 (a lone surrogate, refused too, has no pattern that keeps astral
#: characters).
SINGLE_LINE_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]*$"
#: A ``multiline`` text keeps LF and tab (and the separators).
MULTILINE_PATTERN = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"

_CONTROL = TypedMessage(N_("Must not contain control characters (found %(char)s)."),
                        CONTROL_CHARACTERS)
_LINE_BREAK = TypedMessage(N_("Must not contain line breaks (found %(char)s)."), CONTROL_CHARACTERS)
_INVISIBLE = TypedMessage(N_("Must not contain invisible formatting characters such as bidi "
                          "controls or zero-width characters (found %(char)s)."),
                          CONTROL_CHARACTERS)
_MULTILINE_ALLOWED = frozenset("\n\t")
_SEPARATORS = frozenset("\u2028\u2029")


def check_characters(value: str, *, multiline: bool = False, format_chars: bool = True) -> None:
    """Raise a ``controlCharacters`` ``ValidationError`` for the first refused character.

    Refused: ``Cc`` and ``Cs`` (``multiline`` keeps LF and tab), U+2028/U+2029 unless
    ``multiline``, and ``Cf`` unless ``format_chars``.
    """
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            if multiline and char in _MULTILINE_ALLOWED:
                continue
            message = _CONTROL
        elif char in _SEPARATORS and not multiline:
            message = _LINE_BREAK
        elif category == "Cf" and not format_chars:
            message = _INVISIBLE
        else:
            continue
        raise ValidationError(message.format(char=f"U+{ord(char):04X}"))


def no_control_characters(value: Any) -> None:
    """Validator form of :func:`check_characters` for single-line strings; ``InputSchema``
    adds it to every string field that does not check its characters itself."""
    if isinstance(value, str):
        check_characters(value)


class Text(fields.String):
    """A string with input hygiene (see the module docstring).

    ``multiline`` keeps LF and tab; ``trim`` strips leading and trailing whitespace before the
    validators (so lengths count the trimmed value) and before storage; ``format_chars=False``
    refuses invisible format characters (names).
    """

    checks_characters = True

    def __init__(self, *, multiline: bool = False, trim: bool = False,
                 format_chars: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline
        self.trim = trim
        self.format_chars = format_chars

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result: str = super()._deserialize(value, attr, data, **kwargs)
        check_characters(result, multiline=self.multiline, format_chars=self.format_chars)
        return result.strip() if self.trim else result


def text(max_length: int, *, min_length: int = 0, also: Any = None, multiline: bool = False,
         trim: bool = False, format_chars: bool = True, **kwargs: Any) -> Text:
    """A :class:`Text` field with separate min/max checks (so the error type says which
    failed) and ``also`` as one more validator."""
    checks: list[Any] = [Length(max=max_length)]
    if min_length:
        checks.insert(0, Length(min=min_length))
    if also is not None:
        checks.append(also)
    return Text(validate=checks, multiline=multiline, trim=trim, format_chars=format_chars,
                **kwargs)


def name(max_length: int, **kwargs: Any) -> Text:
    """A person's or display name: trimmed, not blank, no invisible format characters."""
    return text(max_length, min_length=1, trim=True, format_chars=False, **kwargs)
