"""zxcvbn's password strength estimate, with its dictionaries shared between processes.

zxcvbn 4.5 builds its ranked frequency dictionaries (about 94,000 words: passwords, English
Wikipedia, names, surnames, TV and film) as Python dicts when ``zxcvbn.matching`` is imported:
over 13 MiB in every process. Here nothing of zxcvbn is imported until the first estimate
(:func:`estimate`), and then without those dicts: while ``zxcvbn.matching`` is imported, a
stand-in module ``zxcvbn.frequency_lists`` with no lists sits in :data:`sys.modules` (and is
removed again right after), and ``zxcvbn.matching.RANKED_DICTIONARIES`` is then filled, in
zxcvbn's own order, with read-only :class:`RankedDictionary` mappings over the shipped file
:data:`RESOURCE` (:mod:`.mapped`: mapped read-only, one copy in the page cache for every
process). zxcvbn's matchers only ask ``word in dictionary`` and ``dictionary[word]`` of them,
which answer exactly what the dicts answered (the word is compared, not only its hash), so
the scores are zxcvbn's own. As a Python ``__contains__`` per dictionary and substring is
slow, ``zxcvbn.matching.dictionary_match`` is replaced by one that asks the file once per
substring for all its dictionaries and returns the same matches in the same order
(:func:`_dictionary_match`; a test compares the results with plain zxcvbn's on a corpus).

The file is built from zxcvbn's ``frequency_lists.py`` (``python -m flask_usercore.data.build``)
and records that source's SHA-256. When the installed zxcvbn's source differs (another
version than the one the file was built from), or zxcvbn was imported before by someone else,
its own dictionaries are used, unchanged: correct, only not shared. (pyproject pins the
tested zxcvbn range.) The Rust port zxcvbn-rs-py was measured as a replacement and not adopted:
it gives no match sequence, which the policy's personal-data check reads, and holds its
dictionaries in each process (benchmarks/README.md, "zxcvbn-rs-py measured").

zxcvbn's own entry point stores the user inputs of each call in the module-wide dictionary
table, which two threads scoring at once would overwrite for each other. :func:`estimate` does
what ``zxcvbn.zxcvbn`` does, but keeps the user inputs in a context variable that the table's
``user_inputs`` entry reads (:class:`_UserInputs`), so concurrent estimates stay apart.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
import threading
import types
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .mapped import MappedFile, open_resource

__all__ = ["RESOURCE", "RankedDictionary", "estimate", "word_key"]

log = logging.getLogger(__name__)

#: The shipped file of zxcvbn's ranked dictionaries (:mod:`.mapped` format).
RESOURCE = "zxcvbn-dictionaries.bin"
#: zxcvbn's limit on the password length (its default ``max_length``).
MAX_LENGTH = 72
_FREQUENCY_LISTS = "zxcvbn.frequency_lists"


def word_key(encoded: bytes) -> int:
    """The 32-bit key under which a word (UTF-8) is filed: BLAKE2b, 4 bytes, big-endian.
    (Words sharing a key are told apart by comparing the words.)"""
    return int.from_bytes(blake2b(encoded, digest_size=4).digest(), "big")


class _Table:
    """All ranked words of the file (:func:`flask_usercore.data.build.build_zxcvbn`): the
    words in zxcvbn's order (dictionary by dictionary, by rank), and their sorted keys."""

    def __init__(self, mapped: MappedFile) -> None:
        header = mapped.header
        self.names: list[str] = header["names"]
        self.sizes: list[int] = header["sizes"]
        self.starts = [sum(self.sizes[:number]) for number in range(len(self.sizes))]
        self.source_sha256: str = header["source_sha256"]
        self.longest: int = header["longest"]
        self.keys = mapped.section("keys")
        self.rows = mapped.section("rows")
        self.offsets = mapped.section("offsets")
        self.words = mapped.section("words")
        # one word is asked of every dictionary in turn: look it up once
        self.find = lru_cache(maxsize=4096)(self._find)

    def _find(self, word: str) -> tuple[int, int] | None:
        """(dictionary index, rank) of ``word``, or None."""
        if len(word) > self.longest:
            return None
        encoded = word.encode("utf-8", "surrogatepass")
        key = word_key(encoded)
        keys, offsets = self.keys, self.offsets
        index = bisect_left(keys, key)
        while index < len(keys) and keys[index] == key:
            row = self.rows[index]
            if self.words[offsets[row]:offsets[row + 1]] == encoded:
                number = bisect_right(self.starts, row) - 1
                return number, row - self.starts[number] + 1
            index += 1
        return None

    def word(self, row: int) -> str:
        """The word of ``row``."""
        return bytes(self.words[self.offsets[row]:self.offsets[row + 1]]).decode()


class RankedDictionary(Mapping[str, int]):
    """One of zxcvbn's ranked dictionaries (word -> rank from 1), read-only, over the shared
    file. Lookups are exact (the word is compared); iteration is in rank order."""

    __slots__ = ("_number", "_table", "name")

    def __init__(self, table: _Table, name: str) -> None:
        self._table = table
        self._number = table.names.index(name)
        self.name = name

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        found = self._table.find(word)
        return found is not None and found[0] == self._number

    def __getitem__(self, word: str) -> int:
        found = self._table.find(word) if isinstance(word, str) else None
        if found is None or found[0] != self._number:
            raise KeyError(word)
        return found[1]

    def __len__(self) -> int:
        return self._table.sizes[self._number]

    def __iter__(self) -> Iterator[str]:
        start = self._table.starts[self._number]
        return (self._table.word(row) for row in range(start, start + len(self)))


def _dictionary_match(table: _Table, original: Any) -> Any:
    """A stand-in for ``zxcvbn.matching.dictionary_match`` with the same result, that asks
    ``table`` once per substring for all of its dictionaries (instead of once per dictionary:
    a call of a Python ``__contains__`` each) and the other dictionaries as zxcvbn does."""

    def dictionary_match(password: str,
                         _ranked_dictionaries: Mapping[str, Mapping[str, int]] | None = None,
                         ) -> list[dict[str, Any]]:
        dictionaries = (original.__defaults__[0] if _ranked_dictionaries is None
                        else _ranked_dictionaries)
        order = [(name, ranked._number if isinstance(ranked, RankedDictionary)
                  and ranked._table is table else None, ranked)
                 for name, ranked in dictionaries.items()]
        if all(number is None for _, number, _ in order):
            return list(original(password, dictionaries))
        # zxcvbn collects dictionary by dictionary, then sorts by (i, j), stably: the same
        # as collecting by (i, j), dictionary by dictionary
        matches: list[dict[str, Any]] = []
        length = len(password)
        lowered = password.lower()
        for i in range(length):
            for j in range(i, length):
                word = lowered[i:j + 1]
                found = table.find(word)
                for name, number, ranked in order:
                    if number is None:
                        if word not in ranked:
                            continue
                        rank = ranked[word]
                    elif found is None or found[0] != number:
                        continue
                    else:
                        rank = found[1]
                    matches.append({
                        "pattern": "dictionary", "i": i, "j": j, "token": password[i:j + 1],
                        "matched_word": word, "rank": rank, "dictionary_name": name,
                        "reversed": False, "l33t": False})
        return matches

    dictionary_match.__doc__ = original.__doc__
    return dictionary_match


_EMPTY: Mapping[str, int] = MappingProxyType({})
_user_inputs: ContextVar[Mapping[str, int]] = ContextVar("usercore_zxcvbn_user_inputs",
                                                         default=_EMPTY)


class _UserInputs(Mapping[str, int]):
    """zxcvbn's ``user_inputs`` dictionary of the current estimate (a context variable)."""

    def __contains__(self, word: object) -> bool:
        return word in _user_inputs.get()

    def __getitem__(self, word: str) -> int:
        return _user_inputs.get()[word]

    def __len__(self) -> int:
        return len(_user_inputs.get())

    def __iter__(self) -> Iterator[str]:
        return iter(_user_inputs.get())


_USER_INPUTS = _UserInputs()


@dataclass(frozen=True)
class _Zxcvbn:
    """The zxcvbn modules an estimate needs, and whether the shared file is in use."""

    matching: Any
    scoring: Any
    time_estimates: Any
    shared: bool


_lock = threading.Lock()
_loaded: _Zxcvbn | None = None


def _source_sha256() -> str | None:
    """The SHA-256 of the installed zxcvbn's ``frequency_lists.py`` (without importing
    zxcvbn), or None when it cannot be read."""
    spec = importlib.util.find_spec("zxcvbn")
    locations = spec.submodule_search_locations if spec else None
    for location in locations or ():
        path = Path(location, "frequency_lists.py")
        if path.is_file():
            return hashlib.sha256(path.read_bytes()).hexdigest()
    return None


def _import_without_lists() -> None:
    """Import zxcvbn with a stand-in ``zxcvbn.frequency_lists`` that has no lists, so that
    ``zxcvbn.matching`` builds no dictionaries; remove the stand-in afterwards (a later
    ``import zxcvbn.frequency_lists`` gets the real module)."""
    stand_in = types.ModuleType(_FREQUENCY_LISTS, "flask-usercore: the lists are mapped")
    stand_in.FREQUENCY_LISTS = {}  # type: ignore[attr-defined]
    sys.modules[_FREQUENCY_LISTS] = stand_in
    try:
        importlib.import_module("zxcvbn")
    finally:
        if sys.modules.get(_FREQUENCY_LISTS) is stand_in:
            del sys.modules[_FREQUENCY_LISTS]
        package = sys.modules.get("zxcvbn")
        if getattr(package, "frequency_lists", None) is stand_in:
            delattr(package, "frequency_lists")


def _load() -> _Zxcvbn:
    """Import zxcvbn on first use (once per process, whichever thread asks first)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _import()
    return _loaded


def _import() -> _Zxcvbn:
    table = _Table(open_resource(RESOURCE))
    shared = "zxcvbn" not in sys.modules and _source_sha256() == table.source_sha256
    if shared:
        _import_without_lists()
    elif "zxcvbn" not in sys.modules:
        log.warning("the installed zxcvbn's word lists differ from %s: using zxcvbn's own "
                    "dictionaries (about 13 MiB in each process)", RESOURCE)
    matching: Any = importlib.import_module("zxcvbn.matching")
    dictionaries: dict[str, Mapping[str, int]] = matching.RANKED_DICTIONARIES
    if shared:
        others = {k: v for k, v in dictionaries.items() if k not in table.names}
        dictionaries.clear()
        dictionaries.update({name: RankedDictionary(table, name) for name in table.names})
        dictionaries.update(others)
        matching.dictionary_match = _dictionary_match(table, matching.dictionary_match)
    dictionaries.pop("user_inputs", None)
    dictionaries["user_inputs"] = _USER_INPUTS
    return _Zxcvbn(matching, importlib.import_module("zxcvbn.scoring"),
                   importlib.import_module("zxcvbn.time_estimates"), shared)


def estimate(password: str, user_inputs: Iterable[str] = ()) -> dict[str, Any]:
    """zxcvbn's estimate of ``password`` (at most :data:`MAX_LENGTH` characters) with
    ``user_inputs`` as guessable words: the same ``score``, ``guesses``, ``sequence`` and
    crack times as ``zxcvbn.zxcvbn`` (without its ``feedback`` and ``calc_time``)."""
    if len(password) > MAX_LENGTH:
        raise ValueError(f"Password exceeds max length of {MAX_LENGTH} characters.")
    zxcvbn = _load()
    dictionaries = zxcvbn.matching.RANKED_DICTIONARIES
    if dictionaries.get("user_inputs") is not _USER_INPUTS:  # zxcvbn.zxcvbn ran meanwhile
        dictionaries["user_inputs"] = _USER_INPUTS
    token = _user_inputs.set(zxcvbn.matching.build_ranked_dict(
        [word.lower() for word in user_inputs]))
    try:
        matches = zxcvbn.matching.omnimatch(password, dictionaries)
        result: dict[str, Any] = zxcvbn.scoring.most_guessable_match_sequence(password,
                                                                             matches)
    finally:
        _user_inputs.reset(token)
    result.update(zxcvbn.time_estimates.estimate_attack_times(result["guesses"]))
    return result
