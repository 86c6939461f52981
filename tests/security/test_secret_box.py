"""Fernet encryption of secrets that are read back (TOTP seeds)."""

from __future__ import annotations

import pytest

from flask_usercore.security.crypto import SecretBox

KEY = "test-secret-key-0123456789abcdef"


def test_round_trip() -> None:
    box = SecretBox(KEY)
    ciphertext = box.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in ciphertext
    assert ciphertext.isascii()
    assert box.decrypt(ciphertext) == "JBSWY3DPEHPK3PXP"
    assert SecretBox(KEY).decrypt(ciphertext) == "JBSWY3DPEHPK3PXP"  # same key, new box


def test_round_trip_non_ascii_and_empty() -> None:
    box = SecretBox(KEY)
    assert box.decrypt(box.encrypt("grüße ✓")) == "grüße ✓"
    assert box.decrypt(box.encrypt("")) == ""


def test_encryption_is_randomized() -> None:
    box = SecretBox(KEY)
    assert box.encrypt("seed") != box.encrypt("seed")


def test_wrong_key_raises_value_error() -> None:
    ciphertext = SecretBox(KEY).encrypt("seed")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(KEY + "-other").decrypt(ciphertext)


@pytest.mark.parametrize("garbage", ["", "not a token", "gAAAAA", "ünïcode"])
def test_garbage_ciphertext_raises_value_error(garbage: str) -> None:
    with pytest.raises(ValueError):
        SecretBox(KEY).decrypt(garbage)


def test_tampered_ciphertext_raises_value_error() -> None:
    box = SecretBox(KEY)
    ciphertext = box.encrypt("seed")
    tampered = ciphertext[:-5] + ("A" if ciphertext[-5] != "A" else "B") + ciphertext[-4:]
    with pytest.raises(ValueError):
        box.decrypt(tampered)
