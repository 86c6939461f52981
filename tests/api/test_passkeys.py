"""Passkeys (issue 28): registration with a fresh session, list, rename, remove, end to end
through the Flask test client with a software authenticator."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.models import Passkey, PasskeyChallenge
from tests.api.passkey_flow import ORIGIN, PASSKEYS, register_passkey
from tests.api.passkey_flow import app as app  # the fixture
from tests.passkey_authenticator import SoftAuthenticator


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return app.extensions["usercore"].deps.session.scalar(
            select(func.count()).select_from(model)) or 0


def test_register_list_rename_remove(app: Flask, client: FlaskClient,
                                     user: dict[str, Any]) -> None:
    seen: list[str] = []

    def registered(_sender: Any, **kwargs: Any) -> None:
        seen.append("registered")

    def removed(_sender: Any, **kwargs: Any) -> None:
        seen.append("removed")

    authenticator = SoftAuthenticator(ORIGIN)
    with signals.passkey_registered.connected_to(registered), \
            signals.passkey_removed.connected_to(removed):
        _lifecycle(client, user, authenticator)
    assert seen == ["registered", "removed"]


def _lifecycle(client: FlaskClient, user: dict[str, Any],
               authenticator: SoftAuthenticator) -> None:
    created = register_passkey(client, user["headers"], authenticator)
    assert created.status_code == 201, created.json
    passkey_id = created.json["passkeyId"]
    listed = client.get(PASSKEYS, headers=user["headers"])
    assert listed.status_code == 200
    [entry] = listed.json["passkeys"]
    assert entry["passkeyId"] == passkey_id and entry["name"] == "Laptop"
    assert entry["transports"] == ["internal", "hybrid"]
    assert entry["backupEligible"] is False and "lastUsedAt" not in entry
    assert "publicKey" not in entry
    renamed = client.put(f"{PASSKEYS}/{passkey_id}", headers=user["headers"],
                         json={"name": "Work laptop"})
    assert renamed.status_code == 204
    assert client.get(PASSKEYS, headers=user["headers"]).json["passkeys"][0]["name"] \
        == "Work laptop"
    assert client.delete(f"{PASSKEYS}/{passkey_id}", headers=user["headers"]).status_code \
        == 204
    assert client.get(PASSKEYS, headers=user["headers"]).json["passkeys"] == []
    assert client.delete(f"{PASSKEYS}/{passkey_id}", headers=user["headers"]).status_code \
        == 404


def test_the_user_handle_is_random_and_the_same_for_all_passkeys(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    options = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"]).json
    handle = options["publicKey"]["user"]["id"]
    assert user["email"] not in handle and user["userId"].replace("-", "") not in handle
    assert register_passkey(client, user["headers"], authenticator).status_code == 201
    again = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"]).json
    first = next(iter(authenticator.credentials.values()))
    assert again["publicKey"]["user"]["id"] == _b64(first.user_handle)
    assert len(first.user_handle) == 32
    # the registered passkey is excluded
    assert [c["id"] for c in again["publicKey"]["excludeCredentials"]] == [_b64(first.id)]
    assert again["publicKey"]["authenticatorSelection"]["residentKey"] == "preferred"
    assert again["publicKey"]["attestation"] == "none"


def _b64(data: bytes) -> str:
    from tests.passkey_authenticator import b64url

    return b64url(data)


def test_registration_needs_a_fresh_session(app: Flask, client: FlaskClient,
                                            user: dict[str, Any],
                                            monkeypatch: Any) -> None:
    from tests.api.mfa_flow import TotpClock

    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    clock.advance(16 * 60)
    response = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"])
    assert response.status_code == 401
    assert response.json["type"] == "ReauthenticationRequired"


def test_a_challenge_is_single_use_and_bound_to_the_session(
        app: Flask, client: FlaskClient, user: dict[str, Any],
        login: Any) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    options = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"]).json
    credential = authenticator.create(options["publicKey"])
    other = {"Authorization": f"Bearer {login(user['email'])}"}
    foreign = client.post(PASSKEYS, headers=other, json={"credential": credential})
    assert foreign.status_code == 400
    assert foreign.json["validationErrors"][0]["type"] == "PasskeyChallengeNotValid"
    first = client.post(PASSKEYS, headers=user["headers"], json={"credential": credential})
    assert first.status_code == 201, first.json
    replay = client.post(PASSKEYS, headers=user["headers"], json={"credential": credential})
    assert replay.status_code == 400
    assert replay.json["validationErrors"][0]["type"] == "PasskeyChallengeNotValid"
    assert count(app, Passkey) == 1 and count(app, PasskeyChallenge) == 0


@pytest.mark.parametrize(("config", "message"), [
    ({"USERCORE_WEBAUTHN_RP_ID": "https://example.test"}, "lowercase domain"),
    ({"USERCORE_WEBAUTHN_RP_ID": "example.test"}, "needs USERCORE_WEBAUTHN_ORIGINS"),
    ({"USERCORE_WEBAUTHN_RP_ID": "example.test",
      "USERCORE_WEBAUTHN_ORIGINS": ["http://app.example.test"]}, "https origins"),
    ({"USERCORE_WEBAUTHN_RP_ID": "example.test",
      "USERCORE_WEBAUTHN_ORIGINS": ["https://example.org"]}, "not on the RP id"),
    ({"USERCORE_WEBAUTHN_RP_ID": "example.test",
      "USERCORE_WEBAUTHN_ORIGINS": ["https://app.example.test/login"]}, "https origins"),
    ({"USERCORE_WEBAUTHN_ATTESTATION": "enterprise"}, "USERCORE_WEBAUTHN_ATTESTATION"),
    ({"USERCORE_WEBAUTHN_CHALLENGE_TTL": 0}, "USERCORE_WEBAUTHN_CHALLENGE_TTL"),
])
def test_the_relying_party_is_checked_at_start_up(config: dict[str, Any],
                                                  message: str) -> None:
    from flask_usercore.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=message):
        load_config({"SECRET_KEY": "0123456789abcdef0123", **config})


def test_the_public_url_gives_the_relying_party() -> None:
    from flask_usercore.config import load_config

    config = load_config({"SECRET_KEY": "0123456789abcdef0123",
                          "USERCORE_PUBLIC_URL": "https://id.example.test/app"})
    assert config.passkey_relying_party == ("id.example.test", ("https://id.example.test",))
    plain_http = load_config({"SECRET_KEY": "0123456789abcdef0123",
                              "USERCORE_PUBLIC_URL": "http://id.example.test"})
    assert plain_http.passkey_relying_party is None
    local = load_config({"SECRET_KEY": "0123456789abcdef0123",
                         "USERCORE_PUBLIC_URL": "http://localhost:5000",
                         "USERCORE_WEBAUTHN_ORIGINS": ["http://localhost:5000"]})
    assert local.passkey_relying_party == ("localhost", ("http://localhost:5000",))
