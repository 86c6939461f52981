"""Commands of the SSH-key operations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AddSshKey:
    """``POST /v2/users/self/ssh-keys``: an OpenSSH public key line; without ``comment``
    the line's own comment is kept."""

    public_key: str
    expires_at: dt.datetime | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class EditSshKey:
    """``PUT /v2/users/self/ssh-keys/{sshKeyId}``: a PUT, so no ``expires_at`` means no
    expiry."""

    comment: str
    expires_at: dt.datetime | None = None
