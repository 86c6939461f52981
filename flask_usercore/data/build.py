"""Build the shipped lookup files from their sources: ``python -m flask_usercore.data.build``.

- ``leaked-passwords.index.txt`` from ``leaked-passwords.txt.xz``
  (:func:`flask_usercore.security.leaked.build_index_from_resource`);
- ``zxcvbn-dictionaries.bin`` from the installed zxcvbn's ``frequency_lists.py``
  (:func:`build_zxcvbn`), which it imports: run it with the zxcvbn version pyproject pins.

Both outputs are deterministic, so a test can rebuild them and compare with what is shipped.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..security import leaked
from ..security.mapped import pack
from ..security.strength import RESOURCE, word_key

HERE = Path(__file__).resolve().parent


def build_zxcvbn(frequency_lists: Mapping[str, Sequence[str]], source_sha256: str) -> bytes:
    """The bytes of :data:`~flask_usercore.security.strength.RESOURCE`.

    The words of ``frequency_lists`` (name -> words, most frequent first) are stored in that
    order (``words``, ``offsets``: row ``r`` is ``words[offsets[r]:offsets[r + 1]]``), so a
    row gives its dictionary and rank (the header's ``names`` and ``sizes``) and the words
    compress well in the wheel; ``keys`` holds every row's
    :func:`~flask_usercore.security.strength.word_key`, sorted, and ``rows`` the row of each.
    """
    names = list(frequency_lists)
    ordered = [word.encode("utf-8") for name in names for word in frequency_lists[name]]
    if len(set(ordered)) != len(ordered):  # zxcvbn's lists share no word
        raise ValueError("a word is in two of zxcvbn's dictionaries")
    by_key = sorted(range(len(ordered)), key=lambda row: (word_key(ordered[row]), row))
    offsets = array("I", [0])
    for word in ordered:
        offsets.append(offsets[-1] + len(word))
    return pack({"keys": array("I", (word_key(ordered[row]) for row in by_key)),
                 "rows": array("I", by_key),
                 "offsets": offsets,
                 "words": b"".join(ordered)},
                names=names, sizes=[len(frequency_lists[name]) for name in names],
                longest=max(len(word) for name in names for word in frequency_lists[name]),
                source_sha256=source_sha256)


def zxcvbn_source() -> tuple[dict[str, list[str]], str]:
    """zxcvbn's frequency lists (imported: builds them) and the SHA-256 of their source."""
    from zxcvbn import frequency_lists

    source = Path(frequency_lists.__file__ or "").read_bytes()
    return dict(frequency_lists.FREQUENCY_LISTS), hashlib.sha256(source).hexdigest()


def write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a temporary file renamed over it)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def main(argv: Sequence[str]) -> None:
    """Build both files into ``argv[0]`` (default: this package's directory)."""
    target = Path(argv[0]) if argv else HERE
    write(target / leaked.INDEX, leaked.build_index_from_resource(
        (HERE / leaked.RESOURCE).read_bytes()))
    write(target / RESOURCE, build_zxcvbn(*zxcvbn_source()))
    for name in (leaked.INDEX, RESOURCE):
        print(f"{target / name}: {(target / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
