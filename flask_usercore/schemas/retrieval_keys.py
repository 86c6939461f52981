"""Body of ``POST /v2/authenticate-token-retrieval-key``."""

from __future__ import annotations

from ..commands.retrieval_keys import RetrievalKeyLogin
from .base import InputSchema, UuidString
from .text import text


class RetrievalKeySchema(InputSchema):
    """``{accessTokenRetrievalKey (exactly 37 characters), userId}``."""

    command = RetrievalKeyLogin
    access_token_retrieval_key = text(37, min_length=37, required=True,
                                      data_key="accessTokenRetrievalKey")
    user_id = UuidString(required=True, data_key="userId")
