"""Passwords in Unicode NFKC: the hasher and the policy see ``ﬁ`` and ``fi`` alike, and
hashes made before normalization still verify."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher as Argon2

from flask_usercore.security.passwords import PasswordHasher
from flask_usercore.security.policy import check_password

FAST = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}

#: (one spelling, another spelling with the same NFKC form)
ALIKE = [
    ("\ufb01sh and chips", "fish and chips"),  # ligature
    ("\uff21\uff44\uff41 1815", "Ada 1815"),  # full-width letters
    ("caf\u00e9 cr\u00e8me", "cafe\u0301 cre\u0300me"),  # composed / decomposed
    ("x\u00b2 + y\u2075", "x2 + y5"),  # superscripts
    ("\u2168 items", "IX items"),  # roman numeral
]


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(**FAST)


@pytest.mark.parametrize(("one", "other"), ALIKE)
def test_spellings_with_one_nfkc_form_verify_alike(hasher: PasswordHasher, one: str,
                                                   other: str) -> None:
    for hashed, typed in ((one, other), (other, one), (one, one)):
        assert hasher.verify(hasher.hash(hashed), typed) is True


def test_other_passwords_still_fail(hasher: PasswordHasher) -> None:
    digest = hasher.hash("\ufb01sh and chips")
    assert hasher.verify(digest, "f sh and chips") is False
    assert hasher.verify(digest, "FISH AND CHIPS") is False


def test_the_hash_is_of_the_nfkc_form(hasher: PasswordHasher) -> None:
    raw = Argon2(**FAST)
    assert raw.verify(hasher.hash("\ufb01sh"), "fish")


def test_a_hash_made_before_normalization_still_verifies(hasher: PasswordHasher) -> None:
    """A hash of the raw string (as stored before this change) matches that raw string."""
    legacy = Argon2(**FAST).hash("\ufb01sh and chips")
    assert hasher.verify(legacy, "\ufb01sh and chips") is True
    assert hasher.verify(legacy, "fish and chips") is False  # it never matched before either


def test_the_raw_fallback_costs_a_second_verify_only_when_needed(
        hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_verify = Argon2.verify

    def spy(self: Argon2, digest: str | bytes, password: str | bytes) -> bool:
        calls.append(str(password))
        return real_verify(self, digest, password)

    digest = hasher.hash("fish")
    monkeypatch.setattr(Argon2, "verify", spy)
    assert hasher.verify(digest, "wrong") is False
    assert calls == ["wrong"]  # already NFKC: no second attempt
    calls.clear()
    assert hasher.verify(digest, "\ufb01sh") is True
    assert calls == ["fish"]
    calls.clear()
    assert hasher.verify(digest, "\ufb01sx") is False
    assert calls == ["fisx", "\ufb01sx"]


def test_verify_dummy_never_matches_a_non_nfkc_password(hasher: PasswordHasher) -> None:
    assert hasher.verify_dummy("\ufb01sh") is None


def test_policy_checks_the_nfkc_form() -> None:
    """Full-width letters hide an alphabet sequence from an NFC check, not from NFKC."""
    policy = {"rules": [{"ruleType": "sequence", "sequences": ["alphabet"], "maxLength": 4}]}
    violation = check_password(policy, "Vb7#\uff41\uff42\uff43\uff44\uff45!qX")
    assert violation is not None
    assert violation.type == "PasswordTooWeak"


def test_policy_length_counts_the_nfkc_form() -> None:
    policy = {"rules": [{"ruleType": "length", "min": 3}]}
    assert check_password(policy, "\ufb03") is None  # "ffi"
    assert check_password(policy, "\ufb00") is not None  # "ff"


def test_password_equal_to_the_email_in_another_width() -> None:
    violation = check_password({"rules": []}, "\uff41\uff44\uff41@example.com",
                               user_inputs=("ADA@example.com",))
    assert violation is not None
    assert violation.type == "PasswordEqualsEmail"
