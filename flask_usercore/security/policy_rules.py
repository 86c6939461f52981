"""The rules of a password policy, one class per ``ruleType`` of mittwald's
``password-tools-js`` (REFERENCE.md 5.9).

Each rule is both what is served (:meth:`Rule.to_json`, the rule's object in the policy
document) and what is enforced (:meth:`Rule.check`), so the two cannot drift apart.
:func:`rule_from_json` reads a rule object of the document format, refusing what
``password-tools-js``'s schema refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

from ..messages import N_, Message
from .leaked import is_leaked


@dataclass(frozen=True, slots=True)
class PolicyViolation:
    """Why a password was refused: a stable ``type`` (the ``validationErrors`` type), a
    message for people, and the rule that failed (its ``ruleType``, and ``identifier`` when
    the policy names it)."""

    type: str
    message: str
    rule_type: str = ""
    identifier: str | None = None

    def context(self) -> dict[str, str]:
        """The ``context`` of the wire's validation error: which rule failed."""
        found = {"ruleType": self.rule_type} if self.rule_type else {}
        if self.identifier:
            found["identifier"] = self.identifier
        return found


_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiopü",
                  "asdfghjklöä", "yxcvbnm")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_NUMBERS = "01234567890"
_SEQUENCES = {"keyboard": _KEYBOARD_ROWS, "alphabet": (_ALPHABET,), "number": (_NUMBERS,)}
POOLS: dict[str, Callable[[str], bool]] = {
    "lowercase": str.islower,
    "uppercase": str.isupper,
    "numbers": str.isdigit,
    "special": lambda c: c.isascii() and not c.isalnum() and not c.isspace(),
    "nonAscii": lambda c: not c.isascii(),
}
REGEX_FLAGS = ("d", "g", "i", "m", "s", "u", "y")


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of the rule types; ``identifier`` is the optional name a policy gives a rule."""

    rule_type: ClassVar[str] = ""
    identifier: str | None = None

    def check(self, password: str) -> PolicyViolation | None:
        """The violation of this rule by ``password`` (already in NFKC), or None."""
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        """The rule's own keys in the document (besides ``ruleType`` and ``identifier``)."""
        return {}

    def to_json(self) -> dict[str, Any]:
        """The rule's object in the policy document."""
        body: dict[str, Any] = {"ruleType": self.rule_type}
        if self.identifier is not None:
            body["identifier"] = self.identifier
        body.update({k: v for k, v in self.fields().items() if v is not None})
        return body

    def violation(self, type_: str, message: str) -> PolicyViolation:
        return PolicyViolation(type_, message, self.rule_type, self.identifier)


@dataclass(frozen=True, kw_only=True)
class _Counted(Rule):
    """A rule that counts something in the password and bounds the count."""

    min: int | None = None
    max: int | None = None

    def bounded(self, count: int, what: Message) -> PolicyViolation | None:
        if self.min is not None and count < self.min:
            return self.violation("PasswordTooWeak", N_("needs at least %(count)s %(what)s",
                                                     count=self.min, what=what))
        if self.max is not None and count > self.max:
            return self.violation("PasswordTooWeak", N_("allows at most %(count)s %(what)s",
                                                     count=self.max, what=what))
        return None

    def fields(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True, kw_only=True)
class LengthRule(_Counted):
    """``{ruleType: "length", min?, max?}``: the number of characters."""

    rule_type: ClassVar[str] = "length"

    def check(self, password: str) -> PolicyViolation | None:
        return self.bounded(len(password), N_("characters"))


@dataclass(frozen=True, kw_only=True)
class CharPoolRule(_Counted):
    """``{ruleType: "charPool", charPools, min?, max?}``: how many of the pools are used."""

    rule_type: ClassVar[str] = "charPool"
    char_pools: tuple[str, ...] = ()

    def check(self, password: str) -> PolicyViolation | None:
        used = {pool for pool in self.char_pools for c in password if POOLS[pool](c)}
        return self.bounded(len(used), N_("kinds of characters"))

    def fields(self) -> dict[str, Any]:
        return {"charPools": list(self.char_pools), **super().fields()}


@dataclass(frozen=True, kw_only=True)
class CharRule(_Counted):
    """``{ruleType: "char", chars, min?, max?}``: occurrences of the given characters."""

    rule_type: ClassVar[str] = "char"
    chars: str = ""

    def check(self, password: str) -> PolicyViolation | None:
        return self.bounded(sum(password.count(c) for c in self.chars),
                            N_("of the characters %(chars)s", chars=repr(self.chars)))

    def fields(self) -> dict[str, Any]:
        return {"chars": self.chars, **super().fields()}


@dataclass(frozen=True, kw_only=True)
class RegexRule(_Counted):
    """``{ruleType: "regex", pattern, flags?, min?, max?, translationKey?}``: matches."""

    rule_type: ClassVar[str] = "regex"
    pattern: str = ""
    flags: tuple[str, ...] = ()
    translation_key: str | None = None

    def check(self, password: str) -> PolicyViolation | None:
        flags = re.IGNORECASE if "i" in self.flags else 0
        return self.bounded(len(re.findall(self.pattern, password, flags)),
                            N_("matches of the required pattern"))

    def fields(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "flags": list(self.flags) or None, **super().fields(),
                "translationKey": self.translation_key}


@dataclass(frozen=True, kw_only=True)
class BlocklistRule(Rule):
    """``{ruleType: "blocklist", blocklist, substringMatch}``: refused words, ignoring case."""

    rule_type: ClassVar[str] = "blocklist"
    blocklist: tuple[str, ...] = ()
    substring_match: bool = False

    def check(self, password: str) -> PolicyViolation | None:
        lowered = password.lower()
        for word in self.blocklist:
            word = word.lower()
            if (word in lowered) if self.substring_match else (word == lowered):
                return self.violation("PasswordIsBlocked", N_("contains a blocked word"))
        return None

    def fields(self) -> dict[str, Any]:
        return {"blocklist": list(self.blocklist), "substringMatch": self.substring_match}


@dataclass(frozen=True, kw_only=True)
class HibpRule(Rule):
    """``{ruleType: "hibp"}``: the password was leaked.

    ``password-tools-js`` asks haveibeenpwned.com in the browser; the server checks the
    offline list shipped with the package (:mod:`~flask_usercore.security.leaked`).
    """

    rule_type: ClassVar[str] = "hibp"

    def check(self, password: str) -> PolicyViolation | None:
        if is_leaked(password):
            return self.violation("PasswordIsLeaked",
                                  N_("the password is on a list of leaked passwords"))
        return None


def _longest_run(text: str, lines: tuple[str, ...] | None) -> int:
    """The longest run of repeated characters (``lines`` None) or of neighbours in one of
    ``lines`` (either direction)."""
    longest = run = 1 if text else 0
    for prev, cur in pairwise(text):
        if lines is None:
            step = prev == cur
        else:
            step = any(prev + cur in line or cur + prev in line for line in lines)
        run = run + 1 if step else 1
        longest = max(longest, run)
    return longest


@dataclass(frozen=True, kw_only=True)
class SequenceRule(Rule):
    """``{ruleType: "sequence", sequences, maxLength?}``: no run longer than ``max_length``
    of keyboard neighbours, alphabet or number order, or one repeated character."""

    rule_type: ClassVar[str] = "sequence"
    sequences: tuple[str, ...] = ()
    max_length: int = 3

    def check(self, password: str) -> PolicyViolation | None:
        text = password.lower()
        for kind in self.sequences:
            length = _longest_run(text, None if kind == "repeat" else _SEQUENCES[kind])
            if length > self.max_length:
                return self.violation("PasswordTooWeak", N_("contains a %(kind)s sequence",
                                                             kind=kind))
        return None

    def fields(self) -> dict[str, Any]:
        return {"sequences": list(self.sequences), "maxLength": self.max_length}


#: The rule classes by ``ruleType``, with the document keys each takes (besides
#: ``ruleType`` and ``identifier``): ``{key: (attribute, required, kind)}``.
RULE_TYPES: dict[str, tuple[type[Rule], dict[str, tuple[str, bool, str]]]] = {
    "length": (LengthRule, {"min": ("min", False, "number"), "max": ("max", False, "number")}),
    "charPool": (CharPoolRule, {"charPools": ("char_pools", True, "pools"),
                                "min": ("min", False, "number"),
                                "max": ("max", False, "number")}),
    "char": (CharRule, {"chars": ("chars", True, "string"), "min": ("min", False, "number"),
                        "max": ("max", False, "number")}),
    "regex": (RegexRule, {"pattern": ("pattern", True, "regex"),
                          "flags": ("flags", False, "flags"),
                          "min": ("min", False, "number"), "max": ("max", False, "number"),
                          "translationKey": ("translation_key", False, "string")}),
    "blocklist": (BlocklistRule, {"blocklist": ("blocklist", True, "strings"),
                                  "substringMatch": ("substring_match", True, "boolean")}),
    "hibp": (HibpRule, {}),
    "sequence": (SequenceRule, {"sequences": ("sequences", True, "sequences"),
                                "maxLength": ("max_length", False, "number")}),
}


def _value(kind: str, value: Any, where: str) -> Any:
    """``value`` converted for a rule attribute, or a ValueError naming ``where``."""
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} must be a non-negative integer")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be a boolean")
        return value
    if kind in ("string", "regex"):
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string")
        if kind == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{where} is not a valid pattern: {exc}") from None
        return value
    allowed = {"pools": tuple(POOLS), "flags": REGEX_FLAGS,
               "sequences": ("alphabet", "keyboard", "number", "repeat")}.get(kind)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    if allowed is not None and not set(value) <= set(allowed):
        raise ValueError(f"{where} may only hold {', '.join(allowed)}")
    return tuple(value)


def rule_from_json(body: Mapping[str, Any], where: str = "rule") -> Rule:
    """The rule of a document's rule object; ValueError for what the format refuses
    (an unknown ``ruleType``, a missing or unknown key, a wrong type)."""
    if not isinstance(body, Mapping):
        raise ValueError(f"{where} must be an object")
    rule_type = body.get("ruleType")
    if rule_type not in RULE_TYPES:
        raise ValueError(f"{where}.ruleType must be one of {', '.join(RULE_TYPES)}")
    cls, keys = RULE_TYPES[rule_type]
    unknown = set(body) - set(keys) - {"ruleType", "identifier"}
    if unknown:
        raise ValueError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    if "identifier" in body:
        values["identifier"] = _value("string", body["identifier"], f"{where}.identifier")
    for key, (attribute, required, kind) in keys.items():
        if key in body:
            values[attribute] = _value(kind, body[key], f"{where}.{key}")
        elif required:
            raise ValueError(f"{where}.{key} is required for ruleType {rule_type}")
    return cls(**values)
