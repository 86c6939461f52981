"""Commands of the API-token operations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EditApiToken:
    """``PUT /v2/users/self/api-tokens/{apiTokenId}``: a PUT, so no ``expires_at`` means
    the token no longer expires."""

    description: str
    expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CreateApiToken:
    """``POST /v2/users/self/api-tokens``: ``roles`` are ``api_read`` and/or
    ``api_write``, each once."""

    description: str
    roles: Sequence[str]
    expires_at: dt.datetime | None = None
