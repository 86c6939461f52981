"""Translatable messages without Flask: what services, schemas and the security helpers put
into errors, translated later where the JSON or the page is built (docs/languages.md).

``N_("no user with this id")`` or ``N_("at most %(count)s SSH keys can be stored", count=5)``
is a :class:`Message`: the English text itself (a ``str``) that keeps its msgid and values.
``N_`` is one of ``pybabel extract``'s default keywords, so every message marked with it lands
in the catalogues. This module imports nothing of the package (the lowest layer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Looks a msgid up in the catalogue of the request's language (``i18n.gettext``).
Translate = Callable[[str], str]


def english(msgid: str) -> str:
    """The :data:`Translate` of no translation: the msgid itself."""
    return msgid


class Message(str):
    """An error message: the English text (it *is* that ``str``), with the ``msgid`` it was
    made from (placeholders ``%(name)s``) and the ``values`` that fill them in, so it can be
    translated later, where the JSON is built (:meth:`translated`). A value may be a Message
    itself (translated with it)."""

    msgid: str
    values: Mapping[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Message:
        result = super().__new__(cls, msgid % values if values else msgid)
        result.msgid, result.values = msgid, values
        return result

    def __reduce__(self) -> tuple[Any, ...]:  # copy, deepcopy (marshmallow's fields), pickle
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))

    def translated(self, translate: Translate) -> str:
        """The text in the language of ``translate``; the English one when the translation
        does not fit the values (a wrong placeholder in a catalogue)."""
        text = translate(self.msgid)
        if not self.values:
            return text
        values = {key: translate_text(value, translate) if isinstance(value, str) else value
                  for key, value in self.values.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            return str(self)


def _rebuild(kind: type[Message], text: str, state: dict[str, Any]) -> Message:
    result = str.__new__(kind, text)
    result.__dict__.update(state)
    return result


def N_(msgid: str, /, **values: Any) -> Message:
    """A translatable message: ``msgid`` (extracted by ``pybabel extract``: ``N_`` is one of
    its default keywords) with its ``%(name)s`` placeholders filled by ``values``."""
    return Message(msgid, **values)


def translate_text(text: str, translate: Translate) -> str:
    """``text`` in the language of ``translate`` when it is a :class:`Message`; any other
    string (a library's text) as it is."""
    return text.translated(translate) if isinstance(text, Message) else text
