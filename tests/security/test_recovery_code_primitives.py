"""Recovery codes: 16 characters without look-alikes, >= 64 bits, typed in any case."""

from __future__ import annotations

import math

import pytest

from flask_usercore.security.codes import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_LENGTH,
    new_recovery_code,
    normalize_recovery_code,
)


def test_the_alphabet_has_no_look_alikes_and_one_case() -> None:
    assert not set(RECOVERY_ALPHABET) & set("0O1IL")
    assert RECOVERY_ALPHABET.isupper() or RECOVERY_ALPHABET.isdigit()
    assert len(set(RECOVERY_ALPHABET)) == len(RECOVERY_ALPHABET)


def test_a_code_has_at_least_64_bits() -> None:
    assert RECOVERY_CODE_LENGTH == 16
    assert RECOVERY_CODE_LENGTH * math.log2(len(RECOVERY_ALPHABET)) >= 64


def test_new_codes_are_random_and_of_the_alphabet() -> None:
    codes = {new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 16 and set(c) <= set(RECOVERY_ALPHABET) for c in codes)
    assert set("".join(codes)) == set(RECOVERY_ALPHABET)  # 3200 draws use every symbol


@pytest.mark.parametrize("typed", ["K7QM3XWP9TRB4HNC", "k7qm3xwp9trb4hnc",
                                   "K7QM-3XWP-9TRB-4HNC", "k7qm 3xwp 9trb 4hnc",
                                   " K7QM3XWP9TRB4HNC\t", "K7QM_3XWP.9TRB4HNC"])
def test_case_and_separators_do_not_matter(typed: str) -> None:
    assert normalize_recovery_code(typed) == "K7QM3XWP9TRB4HNC"


@pytest.mark.parametrize("typed", ["straße", "ǆ1234567890abcde"])
def test_non_ascii_is_not_case_mapped(typed: str) -> None:
    assert normalize_recovery_code(typed) == typed
