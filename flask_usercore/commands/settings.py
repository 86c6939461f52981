"""Commands of the personalized-settings operations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpdateSettings:
    """``PUT /v2/users/{userId}/settings``: the whole document, in base64 (the service
    checks it and its size)."""

    settings_string: str
