"""argon2id hashing: PHC format, verify, garbage hashes, rehash and the dummy verify."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher as Argon2

from flask_usercore.security.passwords import PasswordHasher

FAST = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(**FAST)


def test_hash_is_argon2id_phc_string_with_the_configured_parameters(hasher: PasswordHasher) -> None:
    digest = hasher.hash("s3cret password")
    assert digest.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert hasher.hash("s3cret password") != digest  # a fresh salt each time


def test_verify_accepts_the_password_and_refuses_others(hasher: PasswordHasher) -> None:
    digest = hasher.hash("s3cret password")
    assert hasher.verify(digest, "s3cret password") is True
    assert hasher.verify(digest, "s3cret passwore") is False
    assert hasher.verify(digest, "") is False


def test_verify_handles_non_ascii_passwords(hasher: PasswordHasher) -> None:
    digest = hasher.hash("Grüße, 世界 🔑")
    assert hasher.verify(digest, "Grüße, 世界 🔑") is True
    assert hasher.verify(digest, "Grusse, 世界 🔑") is False


@pytest.mark.parametrize("garbage", [
    "", "not a hash", "$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$broken",
    "$2b$12$abcdefghijklmnopqrstuuFq2yQ3Y7Sg5Jb5QvN0x2rj1mW6L0C2e",
])
def test_verify_never_raises_on_garbage_hash(hasher: PasswordHasher, garbage: str) -> None:
    assert hasher.verify(garbage, "anything") is False


def test_needs_rehash_when_parameters_differ(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash(hasher.hash("pw")) is False
    other = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1)
    assert hasher.needs_rehash(other.hash("pw")) is True
    assert other.needs_rehash(hasher.hash("pw")) is True
    assert hasher.needs_rehash(PasswordHasher(time_cost=1, memory_cost=128).hash("pw")) is True


def test_needs_rehash_for_a_garbage_or_argon2i_hash(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash("not a hash") is True
    from argon2 import Type

    argon2i = Argon2(time_cost=1, memory_cost=64, parallelism=1, type=Type.I).hash("pw")
    assert argon2i.startswith("$argon2i$")
    assert hasher.needs_rehash(argon2i) is True


def test_verify_dummy_returns_none_and_costs_one_real_verify(
        hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_verify = Argon2.verify

    def spy(self: Argon2, digest: str | bytes, password: str | bytes) -> bool:
        calls.append(str(digest))
        return real_verify(self, digest, password)

    monkeypatch.setattr(Argon2, "verify", spy)
    assert hasher.verify_dummy("whatever") is None
    # exactly one argon2 verify, on a hash made with the current parameters
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert hasher.needs_rehash(calls[0]) is False


def test_verify_dummy_never_matches_even_the_dummy_password(hasher: PasswordHasher) -> None:
    assert hasher.verify_dummy("usercore-dummy-password") is None
    assert hasher.verify_dummy("") is None


def test_a_new_hasher_computes_no_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a hasher (every worker does at start) allocates none of argon2's memory: the
    dummy hash is written, not computed, and still costs one verify with these parameters."""
    calls: list[str] = []
    monkeypatch.setattr(Argon2, "hash", lambda self, *a, **k: calls.append("hash"))
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    assert calls == []
    assert hasher.verify_dummy("usercore-dummy-password") is None
    assert hasher.needs_rehash(hasher._dummy) is False


def test_an_account_without_a_password_matches_none() -> None:
    from flask_usercore.security.passwords import has_password, unusable_password

    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    marker = unusable_password("random-marker")
    assert not has_password(marker) and has_password(hasher.hash("x"))
    assert hasher.verify(marker, "random-marker") is False
    assert hasher.verify(marker, marker) is False
