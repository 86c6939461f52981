"""Recent authentication (services/reauth.py): the operations that change how one signs in
need a session fresher than USERCORE_REAUTH_MAX_AGE, or the password."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.models import Credential, utcnow
from flask_usercore.security.tokens import hash_token, new_token
from flask_usercore.services.reauth import authentication_methods, authentication_time
from flask_usercore.testing import login, make_user
from tests.api.mfa_flow import INIT, MFA, TotpClock, enable, first_factor, second_factor
from tests.conftest import PASSWORD

EMAIL = "/v2/users/self/credentials/email"
TOKENS = "/v2/users/self/api-tokens"
SSH_KEYS = "/v2/users/self/ssh-keys"
MAX_AGE = 15 * 60


def ssh_key() -> str:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH,
                               serialization.PublicFormat.OpenSSH).decode()


#: Each operation that needs a recent authentication: (method, url, body).
GUARDED: list[tuple[str, str, Any]] = [
    ("PUT", EMAIL, lambda: {"email": "ada.new@example.com"}),
    ("POST", INIT, lambda: None),
    ("POST", TOKENS, lambda: {"description": "ci", "roles": ["api_write"]}),
    ("POST", SSH_KEYS, lambda: {"publicKey": ssh_key()}),
]


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    return clock


def session_row(app: Flask, token: str) -> Credential:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        row = session.query(Credential).filter_by(token_hash=hash_token(token)).one()
        session.expunge(row)
        return row


def assert_reauth_required(response: Any) -> None:
    assert response.status_code == 401, response.json
    assert response.json["type"] == "ReauthenticationRequired"
    assert "x-apitree-password" in response.json["message"]
    assert "POST /v2/authenticate" in response.json["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_user_authentication"' in challenge
    assert f"max_age={MAX_AGE}" in challenge


def test_a_login_records_when_and_how(app: Flask, user: dict[str, Any]) -> None:
    row = session_row(app, user["token"])
    when = authentication_time(row)
    assert when is not None and utcnow() - when < dt.timedelta(seconds=30)
    assert authentication_methods(row) == ("pwd",)


def test_an_mfa_login_records_both_factors(app: Flask, client: FlaskClient,
                                           user: dict[str, Any], clock: TotpClock) -> None:
    secret, _ = enable(client, user["headers"], clock)
    first_factor(client)
    answer = second_factor(client, clock.next_code(secret))
    assert answer.status_code == 200, answer.json
    assert authentication_methods(session_row(app, answer.json["token"])) == (
        "pwd", "otp", "mfa")


@pytest.mark.parametrize(("method", "url", "body"), GUARDED,
                         ids=[url.rsplit("/", 1)[1] for _, url, _ in GUARDED])
def test_a_stale_session_must_reauthenticate(client: FlaskClient, user: dict[str, Any],
                                             clock: TotpClock, method: str, url: str,
                                             body: Any) -> None:
    clock.advance(MAX_AGE + 1)
    assert_reauth_required(client.open(url, method=method, json=body(),
                                       headers=user["headers"]))
    wrong = client.open(url, method=method, json=body(),
                        headers={**user["headers"], "x-apitree-password": "not my password 1"})
    assert wrong.status_code == 400
    assert wrong.json["validationErrors"][0]["type"] == "WrongPassword"
    right = client.open(url, method=method, json=body(),
                        headers={**user["headers"], "x-apitree-password": PASSWORD})
    assert right.status_code < 300, right.json


def test_the_password_makes_the_session_fresh_again(app: Flask, client: FlaskClient,
                                                    user: dict[str, Any],
                                                    clock: TotpClock) -> None:
    clock.advance(MAX_AGE + 1)
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers=user["headers"]))
    assert client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                       headers={**user["headers"], "x-apitree-password": PASSWORD}
                       ).status_code == 201
    assert session_row(app, user["token"]).authenticated_at == clock.now
    # fresh for USERCORE_REAUTH_MAX_AGE from the re-authentication
    clock.advance(MAX_AGE - 1)
    assert client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                       headers=user["headers"]).status_code == 201
    clock.advance(2)
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers=user["headers"]))


def test_a_stolen_session_cannot_turn_mfa_on(client: FlaskClient, user: dict[str, Any],
                                             clock: TotpClock) -> None:
    clock.advance(MAX_AGE + 1)
    assert_reauth_required(client.post(INIT, headers=user["headers"]))
    assert_reauth_required(client.post(MFA, headers=user["headers"],
                                       json={"multiFactorCode": "123456"}))
    assert_reauth_required(client.post(TOKENS, headers=user["headers"],
                                       json={"description": "x", "roles": ["api_write"]}))


def test_the_refresh_keeps_the_time_of_the_login(app: Flask, client: FlaskClient,
                                                 register: Any, clock: TotpClock) -> None:
    register()
    login = client.post("/v2/authenticate", json={"email": "ada@example.com",
                                                  "password": PASSWORD})
    clock.advance(MAX_AGE + 1)
    refreshed = client.put("/v2/users/self/sessions",
                           json={"refreshToken": login.json["refreshToken"]},
                           headers={"x-access-token": login.json["token"]})
    assert refreshed.status_code == 200, refreshed.json
    headers = {"x-access-token": refreshed.json["token"]}
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers=headers))


def test_a_session_made_before_the_migration_is_not_fresh(app: Flask, client: FlaskClient,
                                                          user: dict[str, Any]) -> None:
    token = new_token()
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.add(Credential(id=uuid.uuid4(), user_id=uuid.UUID(user["userId"]),
                               kind="session", token_hash=hash_token(token),
                               expires_at=utcnow() + dt.timedelta(hours=1)))
        session.commit()
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers={"x-access-token": token}))
    row = session_row(app, token)
    assert authentication_time(row) == row.created_at  # OpenID Connect's auth_time
    assert authentication_methods(row) == ()


def test_an_api_token_is_never_fresh(client: FlaskClient, user: dict[str, Any]) -> None:
    created = client.post(TOKENS, headers=user["headers"],
                          json={"description": "ci", "roles": ["api_write"]})
    assert created.status_code == 201, created.json
    headers = {"x-access-token": created.json["token"]}
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers=headers))
    assert client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                       headers={**headers, "x-apitree-password": PASSWORD}).status_code == 201
    # the password made no API token fresh
    assert_reauth_required(client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                                       headers=headers))


def test_a_short_header_password_is_a_400(client: FlaskClient, user: dict[str, Any],
                                          clock: TotpClock) -> None:
    clock.advance(MAX_AGE + 1)
    short = client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                        headers={**user["headers"], "x-apitree-password": "abc"})
    assert short.status_code == 400
    assert short.json["validationErrors"][0]["type"] == "minLength"


def test_max_age_is_configurable(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app({"USERCORE_REAUTH_MAX_AGE": 60})
    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    headers = {"x-access-token": login(app, make_user(app, "ada@example.com"))}
    client = app.test_client()
    clock.advance(59)
    assert client.post(SSH_KEYS, json={"publicKey": ssh_key()},
                       headers=headers).status_code == 201
    clock.advance(2)
    response = client.post(SSH_KEYS, json={"publicKey": ssh_key()}, headers=headers)
    assert response.status_code == 401
    assert "max_age=60" in response.headers["WWW-Authenticate"]


@pytest.fixture
def host_app(app: Flask) -> Flask:
    core = app.extensions["usercore"].core

    @app.post("/passkeys")
    @core.auth_required(fresh=True)
    def add_passkey() -> Any:
        return {"ok": True}, 201

    @app.post("/recent")
    @core.auth_required(kinds={"session"}, fresh=60)
    def very_recent() -> Any:
        return {"ok": True}, 201

    return app


def test_host_views_ask_for_the_same_freshness(host_app: Flask, client: FlaskClient,
                                               user: dict[str, Any], clock: TotpClock) -> None:
    assert client.post("/passkeys", headers=user["headers"]).status_code == 201
    clock.advance(61)
    assert client.post("/passkeys", headers=user["headers"]).status_code == 201
    assert_reauth_required_within(client.post("/recent", headers=user["headers"]), 60)
    clock.advance(MAX_AGE)
    assert_reauth_required(client.post("/passkeys", headers=user["headers"]))
    wrong = client.post("/passkeys",
                        headers={**user["headers"], "x-apitree-password": "not my password"})
    assert wrong.status_code == 400
    assert client.post("/passkeys", headers={**user["headers"],
                                             "x-apitree-password": PASSWORD}).status_code == 201
    # the re-authentication was committed: fresh again, for the stricter view too
    assert client.post("/recent", headers=user["headers"]).status_code == 201


def assert_reauth_required_within(response: Any, seconds: int) -> None:
    assert response.status_code == 401, response.json
    assert response.json["type"] == "ReauthenticationRequired"
    assert f"max_age={seconds}" in response.headers["WWW-Authenticate"]
