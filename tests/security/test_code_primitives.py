"""One-time codes: numeric and alphanumeric codes, keyed hashes and their comparison."""

from __future__ import annotations

import re

from flask_usercore.security.codes import codes_equal, hash_code, new_code

KEY = "server-secret-0123456789"


def test_new_code_has_8_digits() -> None:
    codes = [new_code() for _ in range(200)]
    assert all(re.fullmatch(r"[0-9]{8}", c) for c in codes)
    assert len(set(codes)) > 190


def test_new_code_with_other_length() -> None:
    assert re.fullmatch(r"[0-9]{6}", new_code(6))


def test_hash_is_hmac_sha256_hex_and_deterministic() -> None:
    digest = hash_code(KEY, "registration", "12345678")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_code(KEY, "registration", "12345678") == digest
    assert hash_code(KEY, "registration", "12345679") != digest


def test_hash_differs_per_key() -> None:
    assert hash_code(KEY, "registration", "12345678") != hash_code(
        KEY + "x", "registration", "12345678")


def test_hash_differs_per_purpose() -> None:
    assert hash_code(KEY, "registration", "12345678") != hash_code(
        KEY, "password_reset", "12345678")
    # the purpose is separated from the code, so shifting characters does not collide
    assert hash_code(KEY, "a", "1b") != hash_code(KEY, "a1", "b")


def test_codes_equal() -> None:
    digest = hash_code(KEY, "registration", "12345678")
    assert codes_equal(digest, hash_code(KEY, "registration", "12345678")) is True
    assert codes_equal(digest, hash_code(KEY, "registration", "87654321")) is False
    assert codes_equal(digest, "") is False
