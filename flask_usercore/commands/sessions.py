"""Commands of the session operations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RefreshSession:
    """``PUT /v2/users/self/sessions``: the session's refresh token."""

    refresh_token: str
