"""Password policies in the format of mittwald's ``password-tools-js`` (REFERENCE.md 5.9).

A :class:`PasswordPolicy` is a minimum zxcvbn complexity (0-4, the measure the JS library
uses) and a list of rules (:mod:`.policy_rules`). The same object is served by
``GET /v2/password-policies/{name}`` (:meth:`PasswordPolicy.to_json`) and enforced on every
password write (:meth:`PasswordPolicy.check`), so what is served is what is checked.

Policies are registered by name (:func:`register_policy`); ``mittwald`` is registered here
and is the default of ``USERCORE_PASSWORD_POLICY``. Beyond its rules, every policy refuses a
password equal to the user's e-mail address (``PasswordEqualsEmail``) or built from the
user's e-mail, names or nickname (zxcvbn's user inputs).

zxcvbn and the leaked-password list are loaded when the first password is checked, as files
that every process maps and shares (:mod:`.strength`, :mod:`.leaked`), never at import.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .policy_rules import (
    HibpRule,
    LengthRule,
    PolicyViolation,
    Rule,
    SequenceRule,
    rule_from_json,
)
from .strength import MAX_LENGTH, estimate

__all__ = ["POLICIES", "PasswordPolicy", "PolicyViolation", "check_password", "get_policy",
           "register_policy"]

#: A password whose characters are at least this share of user-input matches is "built
#: from" the user's own data.
_PERSONAL_SHARE = 0.5
_SEPARATORS = re.compile(r"[.\-_+@\s]+")


@dataclass(frozen=True)
class PasswordPolicy:
    """A minimum complexity (zxcvbn score 0-4, None: not checked) and rules, in order."""

    rules: tuple[Rule, ...] = ()
    min_complexity: int | None = None

    def __post_init__(self) -> None:
        if self.min_complexity is not None and self.min_complexity not in range(5):
            raise ValueError("minComplexity must be an integer from 0 to 4")

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PasswordPolicy:
        """The policy of a document ``{"minComplexity"?, "rules": [...]}``; ValueError for
        anything ``password-tools-js``'s schema refuses."""
        if not isinstance(document, Mapping):
            raise ValueError("a policy document must be an object")
        unknown = set(document) - {"minComplexity", "rules"}
        if unknown:
            raise ValueError(f"unknown policy keys: {', '.join(sorted(unknown))}")
        rules = document.get("rules")
        if not isinstance(rules, list | tuple):
            raise ValueError("rules must be a list")
        complexity = document.get("minComplexity")
        if complexity is not None and (isinstance(complexity, bool)
                                       or not isinstance(complexity, int)):
            raise ValueError("minComplexity must be an integer from 0 to 4")
        return cls(tuple(rule_from_json(rule, f"rules[{i}]") for i, rule in enumerate(rules)),
                   complexity)

    def to_json(self) -> dict[str, Any]:
        """The policy document that ``password-tools-js`` loads."""
        body: dict[str, Any] = {}
        if self.min_complexity is not None:
            body["minComplexity"] = self.min_complexity
        body["rules"] = [rule.to_json() for rule in self.rules]
        return body

    def check(self, password: str, *, email: str | None = None,
              user_inputs: Iterable[str] = ()) -> PolicyViolation | None:
        """The first violation of this policy by ``password``, or None when it passes.

        Checked in this order, on the NFKC form that
        :class:`~.passwords.PasswordHasher` hashes: equal to ``email`` (ignoring case and
        width: ``PasswordEqualsEmail``), each rule in order, built from ``email`` and
        ``user_inputs`` (names, nickname), then the minimum complexity, for which zxcvbn
        counts those words as guessable.
        """
        normalized = unicodedata.normalize("NFKC", password)
        if email and normalized.casefold() == unicodedata.normalize("NFKC", email).casefold():
            return PolicyViolation("PasswordEqualsEmail",
                                   "the password must not be the e-mail address",
                                   "personalData")
        for rule in self.rules:
            violation = rule.check(normalized)
            if violation:
                return violation
        words = _user_words(email, user_inputs)
        if not words and not self.min_complexity:
            return None
        result = estimate(normalized[:MAX_LENGTH], user_inputs=words)
        if words and _personal_share(result["sequence"], len(normalized)) >= _PERSONAL_SHARE:
            return PolicyViolation("PasswordTooWeak", "the password is built from your "
                                   "e-mail address, name or nickname", "personalData")
        if self.min_complexity and result["score"] < self.min_complexity:
            return PolicyViolation("PasswordTooWeak", "the password is too easy to guess",
                                   "complexity")
        return None


def _user_words(email: str | None, user_inputs: Iterable[str]) -> list[str]:
    """zxcvbn's user inputs: the e-mail address, its local part and that part's pieces
    (``ada.lovelace`` gives ``ada`` and ``lovelace``), and the names."""
    words: list[str] = []
    if email:
        local = email.rpartition("@")[0]
        words += [email, local, *_SEPARATORS.split(local)]
    for value in user_inputs:
        if value:
            words += [value, *_SEPARATORS.split(value)]
    folded = (unicodedata.normalize("NFKC", w).lower() for w in words)
    return list(dict.fromkeys(w for w in folded if len(w) >= 3))


def _personal_share(sequence: list[dict[str, Any]], length: int) -> float:
    """The share of the password that zxcvbn explains as user inputs."""
    covered = sum(len(match["token"]) for match in sequence
                  if match.get("dictionary_name") == "user_inputs")
    return covered / length if length else 0.0


MITTWALD = PasswordPolicy(
    rules=(LengthRule(min=12, max=2048),
           SequenceRule(sequences=("keyboard", "repeat", "alphabet"), max_length=4),
           HibpRule()),
    min_complexity=3)

_lock = threading.Lock()
#: The registered policies by name (read through :func:`get_policy`).
POLICIES: dict[str, PasswordPolicy] = {"mittwald": MITTWALD}


def register_policy(name: str, policy: PasswordPolicy | Mapping[str, Any]) -> PasswordPolicy:
    """Register ``policy`` (an object or a policy document) under ``name``; returns it.

    ``GET /v2/password-policies/{name}`` then serves it, and ``USERCORE_PASSWORD_POLICY =
    name`` enforces it: register before ``init_app``. A name registered again is replaced.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", name):
        raise ValueError("a policy name is 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    found = policy if isinstance(policy, PasswordPolicy) else PasswordPolicy.from_json(policy)
    with _lock:
        POLICIES[name] = found
    return found


def get_policy(name: str) -> PasswordPolicy | None:
    """The policy registered under ``name``, or None."""
    return POLICIES.get(name)


def check_password(policy: PasswordPolicy | Mapping[str, Any], password: str, *,
                   user_inputs: tuple[str, ...] = ()) -> PolicyViolation | None:
    """The first violation of ``policy`` (an object or a document) by ``password``.

    ``user_inputs`` starts with the e-mail address, then names and nickname (see
    :meth:`PasswordPolicy.check`).
    """
    found = policy if isinstance(policy, PasswordPolicy) else PasswordPolicy.from_json(policy)
    email, *others = user_inputs or (None,)
    return found.check(password, email=email, user_inputs=[o for o in others if o])
