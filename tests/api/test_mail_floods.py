"""Mail floods (services/throttle.py): the operations that mail a code or a link on request
are limited per recipient and per account (USERCORE_RATELIMIT_MAIL, "3/minute;10/hour;20/day"
by default), not only per client address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Mailbox

RESET = "/v2/users/self/credentials/actions/init-password-reset"
EMAIL = "/v2/users/self/credentials/email"
RESEND = "/v2/users/self/credentials/email/actions/resend-email"


def from_address(index: int) -> dict[str, Any]:
    """The test client's keyword for a request from the ``index``-th client address."""
    return {"environ_base": {"REMOTE_ADDR": f"10.0.{index // 250}.{index % 250 + 1}"}}


def reset(client: FlaskClient, email: str, index: int) -> int:
    response = client.post(RESET, json={"email": email}, **from_address(index))
    response.close()  # the mail goes out once the response is closed
    return response.status_code


def test_thirty_resets_from_thirty_addresses_send_three_mails(
        client: FlaskClient, user: dict[str, Any], mailbox: Mailbox) -> None:
    before = len(mailbox.sent)
    statuses = [reset(client, user["email"], i) for i in range(30)]
    assert statuses == [201] * 3 + [429] * 27
    assert len(mailbox.sent) - before == 3
    # another spelling of the same inbox shares the count
    assert reset(client, "ADA@Example.com", 31) == 429


def test_an_unknown_address_is_counted_alike(client: FlaskClient, user: dict[str, Any]) -> None:
    statuses = [reset(client, "nobody@example.com", i) for i in range(5)]
    assert statuses == [201] * 3 + [429] * 2  # the same answers as for an account's address
    assert reset(client, user["email"], 9) == 201  # another recipient: its own count


def test_resend_email_is_limited_per_recipient_and_per_account(
        client: FlaskClient, user: dict[str, Any], mailbox: Mailbox) -> None:
    new = "ada.new@example.com"
    assert client.put(EMAIL, headers=user["headers"], json={"email": new}).status_code == 204
    sent = len(mailbox.sent)
    statuses = [client.post(RESEND, json={"email": new, "userId": user["userId"]},
                            **from_address(i)).status_code for i in range(30)]
    # the change itself mailed the new address once: two resends left this minute
    assert statuses == [204] * 2 + [429] * 28
    assert len(mailbox.sent) - sent == 2
    # per account too: other recipients of the same account are refused
    other = client.post(RESEND, json={"email": "x@example.com", "userId": user["userId"]})
    assert other.status_code == 429


def test_the_limit_is_configurable(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_RATELIMIT_MAIL": ""})
    client = app.test_client()
    assert [reset(client, "nobody@example.com", i) for i in range(5)] == [201] * 5
