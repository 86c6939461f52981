"""Helpers of the MFA API tests: a clock for the TOTP checks, setup and login through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.models import utcnow
from tests.conftest import PASSWORD

INIT = "/v2/users/self/credentials/init-mfa"
MFA = "/v2/users/self/credentials/mfa"


class TotpClock:
    """The source of the app's ``deps.clock``: the time of the TOTP checks and of the
    remembered first factor's expiry."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def code(self, secret: str, steps: int = 0) -> str:
        """The TOTP code of ``secret`` ``steps`` time steps away from now."""
        return pyotp.TOTP(secret).at(self.now.timestamp() + steps * 30)

    def next_code(self, secret: str) -> str:
        """Move to the next time step and give its code (each step's code works once)."""
        self.advance(30)
        return self.code(secret)


@pytest.fixture
def totp_clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    return clock


def enable(client: FlaskClient, headers: dict[str, str],
           clock: TotpClock) -> tuple[str, list[str]]:
    """init-mfa and confirm through the API: (seed, recovery codes)."""
    init = client.post(INIT, headers=headers)
    assert init.status_code == 200, init.json
    secret: str = pyotp.parse_uri(init.json["url"]).secret
    confirmed = client.post(MFA, headers=headers,
                            json={"multiFactorCode": clock.next_code(secret)})
    assert confirmed.status_code == 200, confirmed.json
    codes: list[str] = confirmed.json["recoveryCodesList"]
    return secret, codes


def first_factor(client: FlaskClient, email: str = "ada@example.com",
                 password: str = PASSWORD) -> None:
    """``POST /v2/authenticate``, which must answer 202."""
    answer = client.post("/v2/authenticate", json={"email": email, "password": password})
    assert answer.status_code == 202, answer.json


def second_factor(client: FlaskClient, code: str, email: str = "ada@example.com",
                  password: str = PASSWORD, query: str = "") -> Any:
    """``POST /v2/authenticate-mfa``; the response."""
    return client.post(f"/v2/authenticate-mfa{query}", json={
        "email": email, "password": password, "multiFactorCode": code})
