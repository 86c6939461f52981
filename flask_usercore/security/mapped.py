"""Read-only data files mapped into memory, so that every process shares one copy.

Heavy lookup data (zxcvbn's ranked dictionaries, the leaked-password list) is shipped as files
built once (``python -m flask_usercore.data.build``) and opened with :func:`open_resource`
when first needed: the file is mapped read-only with :mod:`mmap`, so its pages live in the
operating system's page cache, are read from disk only when touched, and are shared by every
gunicorn worker (and every process on the host) instead of being rebuilt as Python objects in
each one.

A file of this format (:func:`pack`) is ``MAGIC``, the length of a JSON header (4 bytes,
little-endian), the header, padded to 8 bytes, then the sections, each 8-byte aligned. The
header names each section's offset, :mod:`array` type code and item count
(``{"sections": {name: [offset, typecode, count]}, "byteorder": ..., ...}``) and may carry
other keys (:attr:`MappedFile.header`). A section is read as a :class:`memoryview` of that
type code, which :func:`bisect.bisect_left` searches in C.
"""

from __future__ import annotations

import json
import mmap
import sys
from array import array
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["MAGIC", "MappedFile", "open_resource", "pack"]

MAGIC = b"UCMAP01\n"
_HEAD = len(MAGIC) + 4


def _aligned(size: int) -> int:
    return (size + 7) // 8 * 8


def pack(sections: Mapping[str, array[Any] | bytes], **header: Any) -> bytes:
    """The bytes of a mapped file holding ``sections`` (arrays, or bytes for a ``B``
    section) in this order, with ``header``'s extra keys (JSON values)."""
    layout: dict[str, list[Any]] = {}
    blobs: list[bytes] = []
    body = 0
    for name, section in sections.items():
        raw = section.tobytes() if isinstance(section, array) else bytes(section)
        typecode = section.typecode if isinstance(section, array) else "B"
        count = len(section)
        layout[name] = [body, typecode, count]
        blobs.append(raw + b"\0" * (_aligned(len(raw)) - len(raw)))
        body += _aligned(len(raw))
    # offsets are relative to the end of the header until its length is known
    text = json.dumps({**header, "byteorder": sys.byteorder, "sections": layout},
                      sort_keys=True).encode()
    start = _aligned(_HEAD + len(text) + 16 * len(layout))
    for entry in layout.values():
        entry[0] += start
    text = json.dumps({**header, "byteorder": sys.byteorder, "sections": layout},
                      sort_keys=True).encode()
    if _HEAD + len(text) > start:  # pragma: no cover - 16 spare bytes per offset suffice
        raise AssertionError("header larger than planned")
    head = MAGIC + len(text).to_bytes(4, "little") + text
    return head + b"\0" * (start - len(head)) + b"".join(blobs)


class MappedFile:
    """A file of :func:`pack`'s format, mapped read-only (or, when it is not a file on
    disk, e.g. inside a zip, read into memory)."""

    def __init__(self, data: mmap.mmap | bytes) -> None:
        self._data = data
        view = memoryview(data)
        if bytes(view[:len(MAGIC)]) != MAGIC:
            raise ValueError("not a flask-usercore mapped data file")
        length = int.from_bytes(view[len(MAGIC):_HEAD], "little")
        #: The header's keys (``sections``, ``byteorder`` and those given to :func:`pack`).
        self.header: dict[str, Any] = json.loads(bytes(view[_HEAD:_HEAD + length]))
        self._view = view

    @classmethod
    def open(cls, path: Path) -> MappedFile:
        """Map the file at ``path`` read-only (the descriptor is closed at once; the mapping
        lives as long as the object)."""
        with path.open("rb") as handle:
            return cls(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))

    def section(self, name: str) -> memoryview:
        """The section ``name`` as a read-only memoryview of its type code. On a host of the
        other byte order than the builder's, a byte-swapped private copy."""
        offset, typecode, count = self.header["sections"][name]
        size = array(typecode).itemsize
        raw = self._view[offset:offset + count * size]
        if size > 1 and self.header["byteorder"] != sys.byteorder:  # pragma: no cover
            swapped = array(typecode, raw.tobytes())
            swapped.byteswap()
            return memoryview(swapped).toreadonly()
        return raw.cast(typecode)


def open_resource(name: str, package: str = "flask_usercore.data") -> MappedFile:
    """The mapped file ``name`` shipped in ``package``."""
    resource = files(package).joinpath(name)
    if isinstance(resource, Path):
        return MappedFile.open(resource)
    return MappedFile(resource.read_bytes())  # pragma: no cover - a zipped install
