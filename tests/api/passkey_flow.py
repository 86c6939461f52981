"""Helpers of the passkey tests: an app with passkeys on, registration and sign-in through
the API with a software authenticator (tests/passkey_authenticator.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.passkey_authenticator import SoftAuthenticator

ORIGIN = "https://app.example.test"
RP_ID = "example.test"
PASSKEY_CONFIG = {"USERCORE_WEBAUTHN_RP_ID": RP_ID, "USERCORE_WEBAUTHN_ORIGINS": [ORIGIN],
                  "USERCORE_WEBAUTHN_RP_NAME": "Example"}
PASSKEYS = "/v2/users/self/passkeys"
LOGIN_OPTIONS = "/v2/authenticate-passkey/options"
LOGIN = "/v2/authenticate-passkey"
MFA_OPTIONS = "/v2/authenticate-mfa-passkey/options"
MFA_LOGIN = "/v2/authenticate-mfa-passkey"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The test app with passkeys on (a test module imports it as its ``app``)."""
    return make_app(PASSKEY_CONFIG)


@pytest.fixture
def holder(client: FlaskClient, user: dict[str, Any]) -> SoftAuthenticator:
    """The user's authenticator, with one registered passkey."""
    authenticator = SoftAuthenticator(ORIGIN)
    assert register_passkey(client, user["headers"], authenticator).status_code == 201
    return authenticator


def register_passkey(client: FlaskClient, headers: dict[str, str],
                     authenticator: SoftAuthenticator, name: str = "Laptop",
                     **create: Any) -> Any:
    """Options, then the authenticator's answer: the response of the registration."""
    options = client.post(f"{PASSKEYS}/registration-options", headers=headers)
    assert options.status_code == 200, options.json
    credential = authenticator.create(options.json["publicKey"], **create)
    return client.post(PASSKEYS, headers=headers, json={"credential": credential, "name": name})


def login_options(client: FlaskClient, email: str | None = None) -> dict[str, Any]:
    response = client.post(LOGIN_OPTIONS, json={} if email is None else {"email": email})
    assert response.status_code == 200, response.json
    options: dict[str, Any] = response.json["publicKey"]
    return options


def sign_in(client: FlaskClient, authenticator: SoftAuthenticator,
            email: str | None = None, query: str = "", **get: Any) -> Any:
    """A passkey sign-in through the API: the response."""
    assertion = authenticator.get(login_options(client, email), **get)
    return client.post(LOGIN + query, json={"credential": assertion})
