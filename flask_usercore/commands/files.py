"""Commands of the file operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part of a multipart body: the name the client gave it and its bytes."""

    filename: str | None
    stream: IO[bytes]


@dataclass(frozen=True, slots=True)
class UploadFile:
    """``POST /v2/files``: the part ``file`` (the ``refId`` comes in the ``Token``
    header)."""

    file: Upload
