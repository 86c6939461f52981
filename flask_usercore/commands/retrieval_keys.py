"""Command of the login with an access-token retrieval key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetrievalKeyLogin:
    """``POST /v2/authenticate-token-retrieval-key``: the key and whose it is."""

    access_token_retrieval_key: str
    user_id: uuid.UUID
