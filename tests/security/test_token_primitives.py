"""Opaque bearer tokens: 43 url-safe characters, unique, stored as SHA-256 hex."""

from __future__ import annotations

import hashlib
import re

from flask_usercore.security.tokens import hash_token, new_token

URL_SAFE_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")


def test_new_token_is_43_url_safe_characters() -> None:
    for _ in range(50):
        assert URL_SAFE_43.match(new_token())


def test_new_tokens_are_unique() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000


def test_hash_is_sha256_hex_and_deterministic() -> None:
    token = new_token()
    digest = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert hash_token(token) == digest
    assert hash_token(new_token()) != digest


def test_hash_accepts_any_presented_string() -> None:
    # a presented token comes from a header and may be anything, even a lone surrogate
    assert len(hash_token("")) == 64
    assert len(hash_token("ä\udcff")) == 64
