"""An offline list of leaked passwords: the ``hibp`` rule of the password policies.

The package ships the 100,000 most common leaked passwords (``flask_usercore/data/``, see
the README there for origin and license). The original list is kept xz-compressed
(:data:`RESOURCE`); what is looked up is :data:`INDEX`, built from it once
(``python -m flask_usercore.data.build``): every password in NFKC, casefolded, one a line,
sorted by its UTF-8 bytes (about 800 KB). :func:`is_leaked` maps that file read-only when the
first password is checked (the page cache holds one copy for every process on the host; no
per-process Python objects) and finds a password by binary search over its lines: an exact
comparison, no hash. Nothing goes to the network. Matching ignores case and Unicode width.
"""

from __future__ import annotations

import lzma
import mmap
import threading
import unicodedata
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

#: The shipped original list (sorted, xz-compressed), the source of :data:`INDEX`.
RESOURCE = "leaked-passwords.txt.xz"
#: The looked-up form: NFKC-casefolded, distinct, sorted by UTF-8 bytes, one a line.
INDEX = "leaked-passwords.index.txt"

_lock = threading.Lock()
_lines: mmap.mmap | bytes | None = None


def _key(password: str) -> bytes:
    """The form under which a password is looked up (NFKC, casefolded, UTF-8)."""
    return unicodedata.normalize("NFKC", password).casefold().encode("utf-8", "surrogatepass")


def build_index(words: Iterable[str]) -> bytes:
    """The bytes of :data:`INDEX` for ``words``: their distinct keys, sorted, one a line.
    A key holding a line break could never be found, and is left out."""
    keys = sorted({_key(word) for word in words if word} - {b""})
    return b"".join(key + b"\n" for key in keys if b"\n" not in key and b"\r" not in key)


def build_index_from_resource(data: bytes) -> bytes:
    """:func:`build_index` of the xz-compressed, newline-separated list ``data``."""
    return build_index(lzma.decompress(data).decode("utf-8").splitlines())


def _load() -> mmap.mmap | bytes:
    """The index, mapped read-only on first use (once per process, whichever thread asks)."""
    global _lines
    if _lines is None:
        with _lock:
            if _lines is None:
                resource = files("flask_usercore.data").joinpath(INDEX)
                if isinstance(resource, Path):
                    with resource.open("rb") as handle:
                        _lines = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                else:  # pragma: no cover - a zipped install: a private copy
                    _lines = resource.read_bytes()
    return _lines


def contains(lines: mmap.mmap | bytes, key: bytes) -> bool:
    """Whether ``key`` is a whole line of ``lines`` (sorted byte strings, each ending in a
    newline), by binary search over byte positions."""
    low, high = 0, len(lines)  # both at the start of a line (or the end)
    while low < high:
        middle = (low + high) // 2
        start = lines.rfind(b"\n", low, middle) + 1 or low
        end = lines.find(b"\n", start)
        line = lines[start:end]
        if line == key:
            return True
        if line < key:
            low = end + 1
        else:
            high = start
    return False


def is_leaked(password: str) -> bool:
    """Whether ``password`` (ignoring case and width) is on the shipped leaked-password list."""
    key = _key(password)
    return bool(key) and b"\n" not in key and contains(_load(), key)


def list_size() -> int:
    """How many distinct passwords (ignoring case) the shipped list holds (counts the
    lines of a transient copy: for tests and diagnostics)."""
    return _load()[:].count(b"\n")
