"""TOTP: pyotp-compatible, +-1 step, single use per step, provisioning URI."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from flask_usercore.security import totp

NOW = 1_790_000_015.0  # an arbitrary fixed moment, mid-step
STEP = int(NOW // 30)


@pytest.fixture
def secret() -> str:
    return totp.new_secret()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)


def test_new_secret_is_160_bit_base32(secret: str) -> None:
    assert len(secret) == 32
    assert len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret


def test_current_code_accepted_and_its_step_returned(secret: str) -> None:
    code = pyotp.TOTP(secret).at(NOW)
    assert totp.matching_step(secret, code, last_step=None, now=NOW) == STEP


@pytest.mark.parametrize("offset", [-1, 1])
def test_neighbour_steps_accepted(secret: str, offset: int) -> None:
    code = code_at(secret, STEP + offset)
    assert totp.matching_step(secret, code, last_step=None, now=NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_steps_outside_the_window_refused(secret: str, offset: int) -> None:
    code = code_at(secret, STEP + offset)
    if code in {code_at(secret, STEP + d) for d in (-1, 0, 1)}:
        pytest.skip("1-in-a-million collision of two steps' codes")
    assert totp.matching_step(secret, code, last_step=None, now=NOW) is None


def test_wider_window(secret: str) -> None:
    code = code_at(secret, STEP - 2)
    assert totp.matching_step(secret, code, last_step=None, now=NOW, window=2) == STEP - 2


def test_code_of_a_used_step_is_refused(secret: str) -> None:
    code = code_at(secret, STEP)
    step = totp.matching_step(secret, code, last_step=None, now=NOW)
    assert step == STEP
    assert totp.matching_step(secret, code, last_step=step, now=NOW) is None
    assert totp.matching_step(secret, code, last_step=step + 1, now=NOW) is None
    assert totp.matching_step(secret, code, last_step=step - 1, now=NOW) == STEP


def test_earlier_step_refused_after_a_later_one_was_used(secret: str) -> None:
    previous = code_at(secret, STEP - 1)
    assert totp.matching_step(secret, previous, last_step=STEP, now=NOW) is None
    following = code_at(secret, STEP + 1)
    assert totp.matching_step(secret, following, last_step=STEP, now=NOW) == STEP + 1


def test_default_now_is_the_clock(secret: str) -> None:
    assert totp.matching_step(secret, pyotp.TOTP(secret).now(), last_step=None) is not None


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "12a456", " 123456", "123 456",
                                 "١٢٣٤٥٦", "-12345", "12345\n"])
def test_malformed_codes_refused(secret: str, bad: str) -> None:
    assert totp.matching_step(secret, bad, last_step=None, now=NOW) is None


def test_unicode_digits_of_the_valid_code_refused(secret: str) -> None:
    code = code_at(secret, STEP)
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in code)  # FULLWIDTH DIGIT ZERO..NINE
    superscript = code.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    assert fullwidth.isdigit()
    assert superscript.isdigit()
    assert totp.matching_step(secret, fullwidth, last_step=None, now=NOW) is None
    assert totp.matching_step(secret, superscript, last_step=None, now=NOW) is None


def test_wrong_code_refused(secret: str) -> None:
    valid = {code_at(secret, STEP + d) for d in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    assert totp.matching_step(secret, wrong, last_step=None, now=NOW) is None


def test_provisioning_uri(secret: str) -> None:
    uri = totp.provisioning_uri(secret, "ada@example.com", "Example Cloud")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Example Cloud:ada@example.com"
    query = parse_qs(parts.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Example Cloud"]
    # RFC 6238 defaults of the Key URI format: absent means SHA1, 6 digits, 30 seconds
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.digits, parsed.interval, parsed.digest().name) == (6, 30, "sha1")
    assert parsed.issuer == "Example Cloud"
    assert parsed.at(NOW) == pyotp.TOTP(secret).at(NOW)
