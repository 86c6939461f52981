"""An offline list of leaked passwords: the ``hibp`` rule of the password policies.

The package ships the 100,000 most common leaked passwords (``flask_usercore/data/``, see
the README there for origin and license), sorted and xz-compressed. :func:`is_leaked` loads
them once, when the first password is checked, into a sorted array of 8-byte BLAKE2b hashes
(about 800 KB, one object shared by every thread of the process) and looks a password up by
binary search. Nothing goes to the network. Matching ignores case and Unicode width: both
the list and the password are compared in NFKC, casefolded.
"""

from __future__ import annotations

import lzma
import threading
import unicodedata
from array import array
from bisect import bisect_left
from hashlib import blake2b
from importlib.resources import files

#: The shipped list, a resource of the package.
RESOURCE = "leaked-passwords.txt.xz"

_lock = threading.Lock()
_hashes: array[int] | None = None


def _key(password: str) -> int:
    """The 64-bit hash under which a password is looked up (NFKC, casefolded)."""
    folded = unicodedata.normalize("NFKC", password).casefold()
    digest = blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def load_hashes(data: bytes) -> array[int]:
    """The sorted hashes of the xz-compressed, newline-separated list ``data``."""
    words = lzma.decompress(data).decode("utf-8").splitlines()
    return array("Q", sorted({_key(word) for word in words if word}))


def _loaded() -> array[int]:
    global _hashes
    if _hashes is None:
        with _lock:
            if _hashes is None:
                _hashes = load_hashes(files("flask_usercore.data").joinpath(RESOURCE)
                                      .read_bytes())
    return _hashes


def is_leaked(password: str) -> bool:
    """Whether ``password`` (ignoring case and width) is on the shipped leaked-password list."""
    hashes = _loaded()
    key = _key(password)
    index = bisect_left(hashes, key)
    return index < len(hashes) and hashes[index] == key


def list_size() -> int:
    """How many distinct passwords (ignoring case) the shipped list holds."""
    return len(_loaded())
