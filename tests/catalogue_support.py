"""A host's own message catalogue, written as a host writes one (docs/languages.md)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po


def write_catalogue(folder: Path, locale: str, entries: dict[str, str],
                    formatted: tuple[str, ...] = ()) -> Path:
    """``folder/<locale>/LC_MESSAGES/usercore.po`` holding ``entries`` (msgid: translation;
    the msgids in ``formatted`` are flagged ``python-format``)."""
    catalog = Catalog(locale=locale, domain="usercore")
    for msgid, text in entries.items():
        catalog.add(msgid, text, flags=["python-format"] if msgid in formatted else [])
    target = folder / locale / "LC_MESSAGES" / "usercore.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_po(handle, catalog)
    return target
