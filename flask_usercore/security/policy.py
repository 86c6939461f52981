"""Password policies in the format of mittwald's ``password-tools-js`` (REFERENCE.md 5.9).

A :class:`PasswordPolicy` is a minimum zxcvbn complexity (0-4, the measure the JS library
uses) and a list of rules (:mod:`.policy_rules`). The same object is served by
``GET /v2/password-policies/{name}`` (:meth:`PasswordPolicy.to_json`) and enforced on every
password write (:meth:`PasswordPolicy.check`), so what is served is what is checked.

Policies are registered by name, per Flask app (:func:`register_policy`, a
:class:`PolicyRegistry` in ``app.extensions``): two apps in one process never see each other's.
Every app starts with the shipped ones (:data:`SHIPPED`: ``mittwald``, the default of
``USERCORE_PASSWORD_POLICY``). Beyond its rules, every policy refuses a password equal to the
user's e-mail address (``PasswordEqualsEmail``) or built from the user's e-mail, names or
nickname (zxcvbn's user inputs).

zxcvbn and the leaked-password list are loaded when the first password is checked, as files
that every process maps and shares (:mod:`.strength`, :mod:`.leaked`), never at import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app, has_app_context

from ..messages import N_
from .policy_rules import (
    HibpRule,
    LengthRule,
    PolicyViolation,
    Rule,
    SequenceRule,
    rule_from_json,
)
from .strength import MAX_LENGTH, estimate

__all__ = ["SHIPPED", "PasswordPolicy", "PolicyRegistry", "PolicyViolation", "check_password",
           "get_policy", "policy_registry", "register_policy"]

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
                                   N_("the password must not be the e-mail address"),
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
            return PolicyViolation("PasswordTooWeak", N_("the password is built from your "
                                   "e-mail address, name or nickname"), "personalData")
        if self.min_complexity and result["score"] < self.min_complexity:
            return PolicyViolation("PasswordTooWeak", N_("the password is too easy to guess"),
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

#: The policies shipped with the library, by name: every app's registry starts with them.
SHIPPED: Mapping[str, PasswordPolicy] = MappingProxyType({"mittwald": MITTWALD})
#: What a policy name is made of (it is a path segment of ``/v2/password-policies/{name}``).
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Key of an app's :class:`PolicyRegistry` in ``app.extensions``.
REGISTRY_KEY = "usercore_password_policies"


class PolicyRegistry:
    """One app's password policies by name; starts with :data:`SHIPPED`.

    Safe to read while another thread registers: a registration replaces the whole mapping.
    """

    def __init__(self, policies: Mapping[str, PasswordPolicy] = SHIPPED) -> None:
        self._policies: Mapping[str, PasswordPolicy] = MappingProxyType(dict(policies))

    def register(self, name: str,
                 policy: PasswordPolicy | Mapping[str, Any]) -> PasswordPolicy:
        """Register ``policy`` (an object or a policy document) under ``name``; returns it.

        A name registered again is replaced. ValueError for a name that is not 1-64
        characters of A-Z, a-z, 0-9, ``.``, ``_``, ``-``, or a document the format refuses.
        """
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ValueError("a policy name is 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'")
        found = (policy if isinstance(policy, PasswordPolicy)
                 else PasswordPolicy.from_json(policy))
        self._policies = MappingProxyType({**self._policies, name: found})
        return found

    def get(self, name: str) -> PasswordPolicy | None:
        """The policy registered under ``name``, or None."""
        return self._policies.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._policies

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._policies)


def policy_registry(app: Flask) -> PolicyRegistry:
    """The password policies of ``app`` (made, with the shipped ones, on first use: before or
    after ``init_app``)."""
    found = app.extensions.get(REGISTRY_KEY)
    if found is None:
        found = app.extensions.setdefault(REGISTRY_KEY, PolicyRegistry())
    if not isinstance(found, PolicyRegistry):
        raise RuntimeError(f"app.extensions[{REGISTRY_KEY!r}] is not a PolicyRegistry")
    return found


def _app(app: Flask | None) -> Flask:
    if app is not None:
        return app
    if not has_app_context():
        raise RuntimeError("password policies are registered per app: pass app=your_app, "
                           "or call this inside an app context")
    return current_app


def register_policy(name: str, policy: PasswordPolicy | Mapping[str, Any], *,
                    app: Flask | None = None) -> PasswordPolicy:
    """Register ``policy`` (an object or a policy document) under ``name`` for ``app``
    (default: the current app); returns it.

    ``GET /v2/password-policies/{name}`` of that app serves it at once, and
    ``USERCORE_PASSWORD_POLICY = name`` enforces it there: ``init_app`` checks that name, so
    register it before ``init_app``. A name registered again is replaced. Other apps in the
    process are not affected. ValueError for a bad name or a document the format refuses;
    RuntimeError when ``app`` is not given outside an app context.
    """
    return policy_registry(_app(app)).register(name, policy)


def get_policy(name: str, *, app: Flask | None = None) -> PasswordPolicy | None:
    """The policy registered under ``name`` for ``app`` (default: the current app), or None."""
    return policy_registry(_app(app)).get(name)


def check_password(policy: PasswordPolicy | Mapping[str, Any], password: str, *,
                   user_inputs: tuple[str, ...] = ()) -> PolicyViolation | None:
    """The first violation of ``policy`` (an object or a document) by ``password``.

    ``user_inputs`` starts with the e-mail address, then names and nickname (see
    :meth:`PasswordPolicy.check`).
    """
    found = policy if isinstance(policy, PasswordPolicy) else PasswordPolicy.from_json(policy)
    email, *others = user_inputs or (None,)
    return found.check(password, email=email, user_inputs=[o for o in others if o])
