"""The ASCII fast path of :func:`email_key` gives email-validator's key for every input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_usercore.security.identity import email_key, validated_key

#: Characters that make addresses valid, invalid and special to email-validator.
_ASCII = st.text(alphabet=st.sampled_from(
    "aAbBzZ09.-_+!#$%&'*/=?^`{|}~@[]()<>,;:\\ \t\"xXnN"), max_size=40)

TRICKY = [
    "User@EXAMPLE.com", "Postmaster@EXAMPLE.COM", "POSTMASTER@example.com",
    "USER+tag@Sub.Example.Org", "a..b@example.com", "a@b", "user@localhost",
    "user@[127.0.0.1]", "x@example.com.", ".x@example.com", "x@-example.com",
    "x@example.invalid", "x@EXAMPLE.test", "a" * 65 + "@example.com",
    "x@" + "a" * 64 + ".com", "no-at-sign", "@example.com", "x@", "two@@example.com",
    "  Spaced@Example.com  ", "tab\t@example.com", "x@ex ample.com", "x@exa_mple.com",
    "x@123.com", "x@1.2.3.4", "x@example.c", "x@EXAMPLE.COM.",
    # left to email-validator (quotes, IDNA labels, non-ASCII)
    '"john"@example.com', "user@xn--bcher-kva.de", "user@XN--BCHER-KVA.DE",
    "Ädam@example.com", "user@BÜCHER.de", "straße@example.com",
]


@pytest.mark.parametrize("address", TRICKY)
def test_the_key_is_email_validators(address: str) -> None:
    assert email_key(address) == validated_key(address.strip())


@settings(max_examples=400, deadline=None)
@given(local=_ASCII, domain=_ASCII)
def test_any_ascii_input_gets_email_validators_key(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert email_key(address) == validated_key(address.strip())


def test_idna_and_unicode_keys_still_fold() -> None:
    assert email_key("user@xn--bcher-kva.de") == email_key("USER@Bücher.DE") == "user@bücher.de"
    assert email_key("STRASSE@example.com") == email_key("straße@EXAMPLE.com")
