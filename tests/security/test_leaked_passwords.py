"""The offline leaked-password list shipped with the package (``security/leaked.py``)."""

from __future__ import annotations

import lzma
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
    monkeypatch.setattr(leaked, "_hashes", None)
    loads: list[bytes] = []
    real = leaked.load_hashes
    monkeypatch.setattr(leaked, "load_hashes", lambda data: loads.append(data) or real(data))
    assert leaked.is_leaked("dragon")
    assert not leaked.is_leaked("Vb7#kLm2!qXz")
    assert leaked.is_leaked("monkey")
    assert len(loads) == 1


FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "password")


@pytest.mark.parametrize("variant", ["PASSWORD", "PassWord", FULL_WIDTH])
def test_matching_ignores_case_and_width(variant: str) -> None:
    assert leaked.is_leaked(variant)


def test_every_shipped_password_is_found_and_the_store_is_small() -> None:
    lines = shipped_lines()
    assert all(leaked.is_leaked(line) for line in lines[::97])
    assert 90_000 < leaked.list_size() <= 100_000  # distinct ignoring case
    assert leaked._loaded().itemsize == 8
