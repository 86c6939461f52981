"""``PUT /v2/users/self/credentials/password`` and ``GET .../password-updated-at``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from flask_usercore.models import Credential, CredentialKind, utcnow
from flask_usercore.security.tokens import hash_token
from tests.api.mfa_flow import TotpClock, enable
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.conftest import PASSWORD, Mailbox, enable_mfa

NEW = "a brand new passphrase 42"
URL = "/v2/users/self/credentials/password"


def change(client: FlaskClient, token: str, **body: Any) -> Any:
    return client.put(URL, json={"oldPassword": PASSWORD, "newPassword": NEW, **body},
                      headers={"Authorization": f"Bearer {token}"})


def status_with(client: FlaskClient, token: str) -> int:
    return client.get("/v2/users/self/sessions/current/status",
                      headers={"Authorization": f"Bearer {token}"}).status_code


def test_change_answers_a_fresh_session_and_ends_every_other(
        client: FlaskClient, user: dict[str, Any], login: Callable[..., str],
        mailbox: Mailbox) -> None:
    other = login()
    response = change(client, user["token"])
    assert response.status_code == 200
    assert set(response.json) == {"token", "refreshToken", "expires"}
    assert status_with(client, response.json["token"]) == 200
    assert status_with(client, user["token"]) == 401
    assert status_with(client, other) == 401
    refreshed = client.put("/v2/users/self/sessions",
                           json={"refreshToken": response.json["refreshToken"]})
    assert refreshed.status_code == 200
    # the new password logs in, the old one no longer does
    assert login(password=NEW)
    assert client.post("/v2/authenticate", json={"email": user["email"],
                                                 "password": PASSWORD}).status_code == 401
    assert mailbox.sent[-1].to == user["email"]
    assert "password was changed" in mailbox.sent[-1].subject


def test_password_updated_at_moves(client: FlaskClient, user: dict[str, Any]) -> None:
    before = client.get("/v2/users/self/credentials/password-updated-at",
                        headers=user["headers"])
    assert before.status_code == 200
    first = dt.datetime.fromisoformat(before.json["passwordUpdatedAt"])
    token = change(client, user["token"]).json["token"]
    after = client.get("/v2/users/self/credentials/password-updated-at",
                       headers={"Authorization": f"Bearer {token}"})
    assert dt.datetime.fromisoformat(after.json["passwordUpdatedAt"]) >= first


def test_wrong_old_password_is_400_and_counts_for_the_lockout(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_LOCKOUT_THRESHOLD": 2})
    client = app.test_client()
    client.post("/v2/register", json={"email": "ada@example.com", "password": PASSWORD,
                                      "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    registered = client.post("/v2/authenticate", json={"email": "ada@example.com",
                                                       "password": PASSWORD})
    assert registered.status_code == 401  # not verified yet
    user_id = mailbox.sent[-1].body.split('"userId": "')[1].split('"')[0]
    client.post("/v2/verify-registration", json={"email": "ada@example.com", "userId": user_id,
                                                 "token": mailbox.last_code()})
    token = client.post("/v2/authenticate", json={"email": "ada@example.com",
                                                  "password": PASSWORD}).json["token"]
    for _ in range(2):
        wrong = change(client, token, oldPassword="not my password 1")
        assert wrong.status_code == 400
        assert [(e["path"], e["type"]) for e in wrong.json["validationErrors"]] == [
            (".oldPassword", "WrongPassword")]
    assert change(client, token).status_code == 429  # locked: the right one too


@pytest.mark.parametrize(("new", "kind"), [
    (PASSWORD, "SamePassword"),
    ("passwordpassword", "PasswordIsLeaked"),
    ("ada@example.com", "PasswordEqualsEmail"),
    ("short", "PasswordTooWeak"),
])
def test_new_password_refused(client: FlaskClient, user: dict[str, Any], new: str,
                              kind: str) -> None:
    response = change(client, user["token"], newPassword=new)
    assert response.status_code == 400
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
        (".newPassword", kind)]
    assert status_with(client, user["token"]) == 200  # nothing changed


def test_mfa_needs_a_code_then_accepts_it(app: Flask, client: FlaskClient,
                                          user: dict[str, Any]) -> None:
    secret = enable_mfa(app, user["userId"])
    asked = change(client, user["token"])
    assert asked.status_code == 202
    assert asked.json["name"] == "SecondFactorRequired"
    wrong = change(client, user["token"], multiFactorCode="000000")
    assert wrong.status_code == 400
    assert wrong.json["validationErrors"][0]["type"] == "MfaCodeNotValid"
    done = change(client, user["token"], multiFactorCode=pyotp.TOTP(secret).now())
    assert done.status_code == 200


def test_mfa_is_asked_only_after_the_new_password_passed(app: Flask, client: FlaskClient,
                                                         user: dict[str, Any]) -> None:
    enable_mfa(app, user["userId"])
    response = change(client, user["token"], newPassword="short")
    assert response.status_code == 400


def test_old_password_may_come_in_the_apitree_header(client: FlaskClient,
                                                     user: dict[str, Any]) -> None:
    response = client.put(URL, json={"newPassword": NEW},
                          headers={**user["headers"], "x-apitree-password": PASSWORD})
    assert response.status_code == 200
    missing = client.put(URL, json={"newPassword": NEW},
                         headers={"Authorization": f"Bearer {response.json['token']}"})
    assert missing.status_code == 400
    assert missing.json["validationErrors"][0]["path"] == ".oldPassword"


def test_api_tokens_may_not_change_the_password(client: FlaskClient,
                                                user: dict[str, Any]) -> None:
    created = client.post("/v2/users/self/api-tokens", headers=user["headers"], json={
        "description": "ci", "roles": ["api_read", "api_write"]})
    assert created.status_code == 201
    response = change(client, created.json["token"])
    assert response.status_code == 403


def test_password_changed_signal(app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    seen: list[tuple[str, str]] = []

    def receive(sender: Flask, **extra: Any) -> None:
        seen.append((extra["user"].email, extra["how"]))

    with signals.password_changed.connected_to(receive, sender=app):
        change(client, user["token"])
        change(client, user["token"])  # the old session is gone: 401, no signal
    assert seen == [(user["email"], "change")]


def add_oauth2_token(app: Flask, user_id: str, token: str) -> None:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        session.add(Credential(
            user_id=uuid.UUID(user_id), kind=CredentialKind.OAUTH2,
            token_hash=hash_token(token), roles="profile",
            expires_at=utcnow() + dt.timedelta(hours=1)))
        session.commit()


def test_a_password_change_ends_every_oauth2_grant(app: Flask, client: FlaskClient,
                                                   user: dict[str, Any]) -> None:
    add_oauth2_token(app, user["userId"], "a-token-of-an-app-the-user-authorized")
    assert change(client, user["token"]).status_code == 200
    assert client.get("/v2/users/self", headers={
        "Authorization": "Bearer a-token-of-an-app-the-user-authorized"}).status_code == 401


def test_an_oauth2_caller_keeps_its_grant_with_new_tokens(app: Flask, client: FlaskClient,
                                                          user: dict[str, Any]) -> None:
    oauth_token = "an-oauth2-access-token-for-the-profile-scope"
    add_oauth2_token(app, user["userId"], oauth_token)
    add_oauth2_token(app, user["userId"], "another-apps-token")
    response = change(client, oauth_token)
    assert client.get("/v2/users/self", headers={
        "Authorization": "Bearer another-apps-token"}).status_code == 401
    assert response.status_code == 200, response.json
    assert status_with(client, user["token"]) == 401  # the sessions ended
    assert client.get("/v2/users/self", headers={
        "Authorization": f"Bearer {oauth_token}"}).status_code == 401
    renewed = client.get("/v2/users/self",
                         headers={"Authorization": f"Bearer {response.json['token']}"})
    assert renewed.status_code == 200  # still an OAuth2 token with scope profile...
    assert client.delete("/v2/users/self/sessions", headers={
        "Authorization": f"Bearer {response.json['token']}"}).status_code == 403  # ...not a session


def test_a_recovery_code_typed_with_separators_confirms_the_change(
        client: FlaskClient, user: dict[str, Any], totp_clock: TotpClock) -> None:
    _, codes = enable(client, user["headers"], totp_clock)
    typed = "-".join(codes[0][i:i + 4] for i in range(0, 16, 4)).lower()  # 19 characters
    response = change(client, user["token"], multiFactorCode=typed)
    assert response.status_code == 200, response.json
