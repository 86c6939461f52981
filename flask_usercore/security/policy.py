"""Password policies in the format of mittwald's ``password-tools-js`` (REFERENCE.md 5.9).

A policy is a JSON object ``{"minComplexity": 0..4, "rules": [...]}``; the same document is
served by ``GET /v2/password-policies/{name}`` and enforced here on every password write.
Complexity is zxcvbn's score (0-4), the measure the JS library uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from zxcvbn import zxcvbn

MITTWALD_POLICY: dict[str, Any] = {
    "minComplexity": 3,
    "rules": [
        {"ruleType": "length", "min": 12, "max": 2048},
        {"ruleType": "sequence", "sequences": ["keyboard", "repeat", "alphabet"], "maxLength": 4},
    ],
}

POLICIES: dict[str, dict[str, Any]] = {"mittwald": MITTWALD_POLICY}

_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiopü",
                  "asdfghjklöä", "yxcvbnm")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_NUMBERS = "01234567890"
_POOLS: dict[str, Callable[[str], bool]] = {
    "lowercase": str.islower,
    "uppercase": str.isupper,
    "numbers": str.isdigit,
    "special": lambda c: c.isascii() and not c.isalnum() and not c.isspace(),
    "nonAscii": lambda c: not c.isascii(),
}


@dataclass(frozen=True, slots=True)
class PolicyViolation:
    """Why a password was refused: a stable ``type`` and a message for people."""

    type: str
    message: str


def _count_range(rule: dict[str, Any], count: int, what: str) -> PolicyViolation | None:
    low, high = rule.get("min"), rule.get("max")
    if low is not None and count < low:
        return PolicyViolation("PasswordTooWeak", f"needs at least {low} {what}")
    if high is not None and count > high:
        return PolicyViolation("PasswordTooWeak", f"allows at most {high} {what}")
    return None


def _longest_run(password: str, lines: tuple[str, ...], *, repeat: bool) -> int:
    text = password.lower()
    longest = 1 if text else 0
    run = 1
    for prev, cur in pairwise(text):
        if repeat:
            step = prev == cur
        else:
            step = any(prev + cur in line or cur + prev in line for line in lines)
        run = run + 1 if step else 1
        longest = max(longest, run)
    return longest


def _sequence_length(password: str, kind: str) -> int:
    if kind == "repeat":
        return _longest_run(password, (), repeat=True)
    lines = {"keyboard": _KEYBOARD_ROWS, "alphabet": (_ALPHABET,), "number": (_NUMBERS,)}[kind]
    return _longest_run(password, lines, repeat=False)


def _check_rule(rule: dict[str, Any], password: str) -> PolicyViolation | None:
    kind = rule["ruleType"]
    if kind == "length":
        return _count_range(rule, len(password), "characters")
    if kind == "charPool":
        used = {pool for pool in rule["charPools"] for c in password if _POOLS[pool](c)}
        return _count_range(rule, len(used), "kinds of characters")
    if kind == "char":
        return _count_range(rule, sum(password.count(c) for c in rule["chars"]),
                            f"of the characters {rule['chars']!r}")
    if kind == "regex":
        flags = re.IGNORECASE if "i" in rule.get("flags", []) else 0
        return _count_range(rule, len(re.findall(rule["pattern"], password, flags)),
                            "matches of the required pattern")
    if kind == "blocklist":
        lowered = password.lower()
        for word in rule["blocklist"]:
            hit = word.lower() in lowered if rule["substringMatch"] else word.lower() == lowered
            if hit:
                return PolicyViolation("PasswordIsBlocked", "contains a blocked word")
        return None
    if kind == "sequence":
        limit = rule.get("maxLength", 3)
        for seq in rule["sequences"]:
            if _sequence_length(password, seq) > limit:
                return PolicyViolation("PasswordTooWeak", f"contains a {seq} sequence")
        return None
    return None  # "hibp" needs a network lookup; a host adds it through the policy hook


def check_password(policy: dict[str, Any], password: str, *,
                   user_inputs: tuple[str, ...] = ()) -> PolicyViolation | None:
    """The first violation of ``policy`` by ``password``, or None when it passes.

    ``user_inputs`` (e-mail, names) are words zxcvbn counts as guessable, and a password
    equal to the e-mail address is refused as ``PasswordEqualsEmail``. The password is
    checked in NFKC, the form :class:`~.passwords.PasswordHasher` hashes.
    """
    normalized = unicodedata.normalize("NFKC", password)
    if user_inputs and normalized.casefold() == unicodedata.normalize(
            "NFKC", user_inputs[0]).casefold():
        return PolicyViolation("PasswordEqualsEmail", "the password must not be the e-mail address")
    for rule in policy.get("rules", []):
        violation = _check_rule(rule, normalized)
        if violation:
            return violation
    minimum = policy.get("minComplexity")
    if minimum:
        # zxcvbn raises ValueError beyond 72 characters (its default max_length)
        score = zxcvbn(normalized[:72], user_inputs=list(user_inputs))["score"]
        if score < minimum:
            return PolicyViolation("PasswordTooWeak", "the password is too easy to guess")
    return None
