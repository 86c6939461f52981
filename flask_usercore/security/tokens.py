"""Opaque bearer tokens: 256 random bits, stored only as their SHA-256 hash.

A token carries 256 bits of entropy, so a fast hash is enough at rest (no salt or stretching
is needed against guessing), and the hash is looked up through a unique index.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe token (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token``: what the database stores and looks up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
