"""``flask usercore mfa-reset USER``: the support desk turns MFA off for a user who lost the
device; their sessions end and they get a mail."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.api.mfa_flow import MFA, TotpClock, enable
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.conftest import PASSWORD, Mailbox

User = dict[str, Any]


def reset(app: Flask, who: str) -> Any:
    return app.test_cli_runner().invoke(args=["usercore", "mfa-reset", who])


@pytest.mark.parametrize("by", ["email", "userId"])
def test_reset_turns_mfa_off_ends_the_sessions_and_mails(
        app: Flask, client: FlaskClient, user: User, register: Any, login: Any,
        totp_clock: TotpClock, mailbox: Mailbox, by: str) -> None:
    enable(client, user["headers"], totp_clock)
    register("bob@example.com")
    bob = {"Authorization": f"Bearer {login('bob@example.com')}"}
    mailbox.sent.clear()
    received: list[str] = []
    with signals.mfa_disabled.connected_to(
            lambda sender, **kw: received.append(kw["reason"]), sender=app):
        result = reset(app, user[by])
    assert result.exit_code == 0, result.output
    assert "MFA turned off for ada@example.com" in result.output
    assert received == ["support"]
    assert client.get(MFA, headers=user["headers"]).status_code == 401  # session ended
    assert client.get(MFA, headers=bob).status_code == 200  # other users keep theirs
    [mail] = mailbox.sent
    assert mail.to == "ada@example.com"
    assert mail.subject == "Multi-factor authentication was turned off"
    # the user logs in with the password alone
    assert client.post("/v2/authenticate", json={
        "email": "ada@example.com", "password": PASSWORD}).status_code == 200


def test_unknown_user_or_no_mfa_fails_and_changes_nothing(app: Flask, user: User,
                                                          mailbox: Mailbox) -> None:
    mailbox.sent.clear()
    unknown = reset(app, "nobody@example.com")
    assert unknown.exit_code != 0 and "no user nobody@example.com" in unknown.output
    without = reset(app, user["email"])
    assert without.exit_code != 0 and "has no MFA set up" in without.output
    assert mailbox.sent == []
