"""The offline leaked-password list shipped with the package (``security/leaked.py``)."""

from __future__ import annotations

import lzma
import mmap
import socket
from importlib.resources import files
from typing import Any

import pytest

from flask_usercore.security import leaked


def shipped_lines() -> list[str]:
    data = files("flask_usercore.data").joinpath(leaked.RESOURCE).read_bytes()
    return lzma.decompress(data).decode("utf-8").splitlines()


def test_the_shipped_list_has_the_100000_most_common_passwords() -> None:
    lines = shipped_lines()
    assert len(lines) == len(set(lines)) == 100_000
    assert lines == sorted(lines)
    for common in ("123456", "password", "qwerty", "iloveyou", "trustno1"):
        assert common in lines
    assert len(files("flask_usercore.data").joinpath(leaked.RESOURCE).read_bytes()) < 200_000


def test_loaded_once_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the leaked-password check must not use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(leaked, "_lines", None)
    assert leaked.is_leaked("dragon")
    first = leaked._lines
    assert first is not None and not leaked.is_leaked("Vb7#kLm2!qXz")
    assert leaked.is_leaked("monkey")
    assert leaked._lines is first


def test_the_index_is_mapped_read_only() -> None:
    lines = leaked._load()
    assert isinstance(lines, mmap.mmap)
    with pytest.raises(TypeError):
        lines[0:1] = b"x"


@pytest.mark.parametrize("word", [b"", b"a", b"m", b"mm", b"z", b"\xff"])
def test_binary_search_finds_exactly_the_lines(word: bytes) -> None:
    lines = b"a\nab\nb\nmm\nz\n"
    assert leaked.contains(lines, word) is (word in lines.split(b"\n")[:-1])


def test_an_empty_or_multi_line_password_is_not_leaked() -> None:
    assert not leaked.is_leaked("")
    assert not leaked.is_leaked("dragon\nmonkey")


FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "password")


@pytest.mark.parametrize("variant", ["PASSWORD", "PassWord", FULL_WIDTH])
def test_matching_ignores_case_and_width(variant: str) -> None:
    assert leaked.is_leaked(variant)


def test_every_shipped_password_is_found_and_the_store_is_small() -> None:
    lines = shipped_lines()
    assert all(leaked.is_leaked(line) for line in lines)
    assert not any(leaked.is_leaked(line + "\u00e9") for line in lines[::97])
    assert 90_000 < leaked.list_size() <= 100_000  # distinct ignoring case
    assert len(leaked._load()) < 800_000
