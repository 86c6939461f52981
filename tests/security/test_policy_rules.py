"""Password policies in the password-tools-js format (REFERENCE.md 5.9)."""

from __future__ import annotations

from typing import Any

import pytest

from flask_usercore.security.policy import (
    MITTWALD,
    SHIPPED,
    PasswordPolicy,
    _user_words,
    check_password,
)
from flask_usercore.security.strength import estimate

MITTWALD_POLICY = MITTWALD

STRONG = "Vb7#kLm2!qXz"  # 12 characters, no sequence, zxcvbn score 4


def violation_type(policy: PasswordPolicy | dict[str, Any], password: str,
                   **kwargs: Any) -> str | None:
    violation = check_password(policy, password, **kwargs)
    if violation is not None:
        assert violation.message
    return None if violation is None else violation.type


def only(rule: dict[str, Any]) -> dict[str, Any]:
    """A policy of one rule and no complexity requirement."""
    return {"rules": [rule]}


# -- the mittwald policy -------------------------------------------------------------------

def test_mittwald_is_the_known_policy() -> None:
    assert SHIPPED["mittwald"] is MITTWALD_POLICY
    assert MITTWALD_POLICY.to_json() == {"minComplexity": 3, "rules": [
        {"ruleType": "length", "min": 12, "max": 2048},
        {"ruleType": "sequence", "sequences": ["keyboard", "repeat", "alphabet"],
         "maxLength": 4},
        {"ruleType": "hibp"}]}


def test_mittwald_accepts_a_strong_password() -> None:
    assert violation_type(MITTWALD_POLICY, STRONG) is None
    assert violation_type(MITTWALD_POLICY, "correct horse battery staple 9") is None


@pytest.mark.parametrize(("length", "expected"), [
    (11, "PasswordTooWeak"), (12, None), (90, None), (2048, None), (2049, "PasswordTooWeak"),
])
def test_mittwald_length_12_to_2048(length: int, expected: str | None) -> None:
    password = (STRONG * 200)[:length]
    assert violation_type(MITTWALD_POLICY, password) == expected


@pytest.mark.parametrize("tail", ["qwert", "poiuy", "asdfg", "zxcvb", "ytrewq", "12345",
                                  "abcde", "edcba", "lmnop", "zzzzz", "!!!!!!"])
def test_mittwald_sequences_longer_than_4_refused(tail: str) -> None:
    assert violation_type(MITTWALD_POLICY, STRONG + tail) == "PasswordTooWeak"


@pytest.mark.parametrize("tail", ["qwer", "abcd", "yyyy", "dcba"])
def test_mittwald_sequences_of_4_allowed(tail: str) -> None:
    assert violation_type(MITTWALD_POLICY, STRONG + tail) is None


@pytest.mark.parametrize("weak", ["iloveyou2024", "monkeymonkey", "baseball2024"])
def test_mittwald_min_complexity_via_zxcvbn(weak: str) -> None:
    violation = check_password(MITTWALD_POLICY, weak)
    assert violation is not None
    assert violation.type == "PasswordTooWeak"
    assert "guess" in violation.message


def test_user_inputs_lower_the_complexity() -> None:
    password = "zuckerbergwojcik"
    policy = {"minComplexity": 3, "rules": []}
    assert violation_type(policy, password) is None
    assert violation_type(policy, password, user_inputs=(
        "x@example.com", "Zuckerberg", "Wojcik")) == "PasswordTooWeak"


def test_built_from_names_is_refused_where_the_score_alone_passes() -> None:
    """The personal-data check reads the strength backend's match sequence (which parts of
    the password are user inputs), not only its score: this password scores 3 with the
    user's names as guessable words, so a backend without a sequence (zxcvbn-rs-py 0.3.0,
    benchmarks/README.md) would accept it."""
    email, names = "ada.lovelace@example.com", ("Ada", "Lovelace")
    words = _user_words(email, names)
    result = estimate("LovelaceAda1815", user_inputs=words)
    minimum = MITTWALD_POLICY.min_complexity
    assert minimum is not None and result["score"] >= minimum  # the score alone would pass
    assert [(m["token"], m.get("dictionary_name")) for m in result["sequence"]][:2] == [
        ("Lovelace", "user_inputs"), ("Ada", "user_inputs")]
    violation = check_password(MITTWALD_POLICY, "LovelaceAda1815", user_inputs=(email, *names))
    assert violation is not None
    assert (violation.type, violation.rule_type) == ("PasswordTooWeak", "personalData")


def test_password_equals_email_ignoring_case() -> None:
    email = "ada.lovelace.1815@example.com"
    assert violation_type(MITTWALD_POLICY, "Ada.Lovelace.1815@Example.com",
                          user_inputs=(email, "Ada")) == "PasswordEqualsEmail"
    # only the first user input is the e-mail address
    assert violation_type(MITTWALD_POLICY, email, user_inputs=("other@example.com",)) is None


def test_password_equals_email_checked_before_the_rules() -> None:
    assert violation_type({"rules": [{"ruleType": "length", "min": 100}]}, "a@b.de",
                          user_inputs=("a@b.de",)) == "PasswordEqualsEmail"


def test_no_rules_and_no_complexity_accepts_anything() -> None:
    assert violation_type({"rules": []}, "a") is None
    assert violation_type({"minComplexity": 0, "rules": []}, "a") is None


# -- each rule type ------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "expected"), [
    ("ab", "PasswordTooWeak"), ("abc", None), ("abcde", None), ("abcdef", "PasswordTooWeak"),
])
def test_length_rule(password: str, expected: str | None) -> None:
    assert violation_type(only({"ruleType": "length", "min": 3, "max": 5}), password) == expected


def test_length_counts_characters_after_nfc_normalization() -> None:
    decomposed = "e\u0301" * 3  # three é as e + combining accent
    assert violation_type(only({"ruleType": "length", "max": 3}), decomposed) is None


@pytest.mark.parametrize(("password", "expected"), [
    ("abcdef", "PasswordTooWeak"),      # 1 pool
    ("abcDEF", "PasswordTooWeak"),      # 2 pools
    ("abcDE1", None),                   # 3 pools
    ("aB1!", None),                     # 4 pools
    ("ab1!", None),                     # lowercase, numbers, special
    ("abc def", "PasswordTooWeak"),     # a space is not special
])
def test_charpool_rule_min(password: str, expected: str | None) -> None:
    rule = {"ruleType": "charPool", "charPools": ["lowercase", "uppercase", "numbers", "special"],
            "min": 3}
    assert violation_type(only(rule), password) == expected


def test_charpool_rule_max_and_non_ascii() -> None:
    rule = {"ruleType": "charPool", "charPools": ["nonAscii", "numbers"], "max": 1}
    assert violation_type(only(rule), "straße") is None
    assert violation_type(only(rule), "straße1") == "PasswordTooWeak"
    assert violation_type(only({"ruleType": "charPool", "charPools": ["nonAscii", "numbers"],
                                "min": 1}), "plain") == "PasswordTooWeak"


@pytest.mark.parametrize(("password", "expected"), [
    ("abc", "PasswordTooWeak"), ("a!bc", "PasswordTooWeak"), ("a!b?", None), ("!!?", None),
    ("!?!?", "PasswordTooWeak"),
])
def test_char_rule(password: str, expected: str | None) -> None:
    rule = {"ruleType": "char", "chars": "!?", "min": 2, "max": 3}
    assert violation_type(only(rule), password) == expected


@pytest.mark.parametrize(("password", "expected"), [
    ("abc1", "PasswordTooWeak"), ("a1b2", None), ("123", "PasswordTooWeak"),
])
def test_regex_rule(password: str, expected: str | None) -> None:
    rule = {"ruleType": "regex", "pattern": "[0-9]", "min": 2, "max": 2}
    assert violation_type(only(rule), password) == expected


def test_regex_rule_flags() -> None:
    rule = {"ruleType": "regex", "pattern": "secret", "min": 1}
    assert violation_type(only(rule), "my SECRET") == "PasswordTooWeak"
    assert violation_type(only({**rule, "flags": ["i", "g"]}), "my SECRET") is None


def test_regex_rule_as_a_ban() -> None:
    rule = {"ruleType": "regex", "pattern": r"\s", "max": 0, "identifier": "noWhitespace"}
    assert violation_type(only(rule), "no-space") is None
    assert violation_type(only(rule), "a space") == "PasswordTooWeak"


def test_blocklist_rule_substring() -> None:
    rule = {"ruleType": "blocklist", "blocklist": ["mittwald", "password"],
            "substringMatch": True}
    assert violation_type(only(rule), "My-MittWald-2024") == "PasswordIsBlocked"
    assert violation_type(only(rule), "xPASSWORDx") == "PasswordIsBlocked"
    assert violation_type(only(rule), "harmless") is None


def test_blocklist_rule_exact() -> None:
    rule = {"ruleType": "blocklist", "blocklist": ["mittwald"], "substringMatch": False}
    assert violation_type(only(rule), "MITTWALD") == "PasswordIsBlocked"
    assert violation_type(only(rule), "mittwald1") is None


@pytest.mark.parametrize(("kind", "refused", "allowed"), [
    ("alphabet", "xabcdx", "xabcx"),
    ("alphabet", "xDCBAx", "xcbax"),
    ("number", "x1234x", "x123x"),
    ("number", "x8901x", "x901x"),
    ("keyboard", "xqwerx", "xqwex"),
    ("keyboard", "x;lkjx", "xlkjx"),
    ("repeat", "x1111x", "x111x"),
])
def test_sequence_rule(kind: str, refused: str, allowed: str) -> None:
    rule = {"ruleType": "sequence", "sequences": [kind], "maxLength": 3}
    assert violation_type(only(rule), refused) == "PasswordTooWeak"
    assert violation_type(only(rule), allowed) is None


def test_sequence_rule_default_max_length_is_3() -> None:
    rule = {"ruleType": "sequence", "sequences": ["alphabet"]}
    assert violation_type(only(rule), "abc") is None
    assert violation_type(only(rule), "abcd") == "PasswordTooWeak"


def test_sequence_rule_checks_only_the_listed_sequences() -> None:
    rule = {"ruleType": "sequence", "sequences": ["repeat"], "maxLength": 3}
    assert violation_type(only(rule), "abcdefgh") is None


def test_rules_are_checked_in_order_first_violation_wins() -> None:
    policy = {"rules": [
        {"ruleType": "blocklist", "blocklist": ["abc"], "substringMatch": True},
        {"ruleType": "length", "min": 50},
    ]}
    assert violation_type(policy, "abc") == "PasswordIsBlocked"


def test_rules_checked_before_complexity() -> None:
    policy = {"minComplexity": 4, "rules": [{"ruleType": "length", "min": 3}]}
    violation = check_password(policy, "ab")
    assert violation is not None
    assert "at least 3" in violation.message


def test_hibp_rule_checks_the_offline_leaked_list() -> None:
    assert violation_type(only({"ruleType": "hibp"}), "password") == "PasswordIsLeaked"
    assert violation_type(only({"ruleType": "hibp"}), "Vb7#kLm2!qXz") is None
