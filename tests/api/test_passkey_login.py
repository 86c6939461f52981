"""Signing in with a passkey (issue 28): discoverable and with an e-mail, the same session as
a password login, the sign count, disabled accounts, the lockout, and a passkey as the
second factor of an MFA login."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from flask_usercore import signals
from flask_usercore.models import Passkey, User, utcnow
from flask_usercore.services.reauth import authentication_methods
from tests.api.mfa_flow import TotpClock, enable, first_factor
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.api.passkey_flow import (
    LOGIN,
    MFA_LOGIN,
    MFA_OPTIONS,
    ORIGIN,
    PASSKEY_CONFIG,
    login_options,
    register_passkey,
    sign_in,
)
from tests.api.passkey_flow import app as app  # the fixture
from tests.api.passkey_flow import holder as holder  # the fixture
from tests.api.test_reauth import session_row
from tests.conftest import PASSWORD
from tests.passkey_authenticator import SoftAuthenticator, b64url


def passkey_row(app: Flask) -> Passkey:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        row = session.query(Passkey).one()
        session.expunge(row)
        return row


def test_discoverable_sign_in_gives_a_fresh_session(app: Flask, client: FlaskClient,
                                                    user: dict[str, Any],
                                                    holder: SoftAuthenticator) -> None:
    used: list[Any] = []

    def on_use(_sender: Any, **kwargs: Any) -> None:
        used.append(kwargs["passkey"])

    options = login_options(client)
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []
    with signals.passkey_used.connected_to(on_use):
        response = client.post(LOGIN, json={"credential": holder.get(options)})
    assert response.status_code == 200, response.json
    token = response.json["token"]
    me = client.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == user["email"]
    assert authentication_methods(session_row(app, token)) == ("hwk",)
    row = passkey_row(app)
    assert row.sign_count == 1 and row.last_used_at is not None
    assert len(used) == 1
    # fresh: a passkey can be registered right away with this session
    another = register_passkey(client, {"Authorization": f"Bearer {token}"},
                               SoftAuthenticator(ORIGIN))
    assert another.status_code == 201, another.json


def test_sign_in_with_an_email_lists_the_accounts_passkeys(
        app: Flask, client: FlaskClient, user: dict[str, Any],
        holder: SoftAuthenticator) -> None:
    options = login_options(client, user["email"])
    [allowed] = options["allowCredentials"]
    assert allowed["id"] == b64url(next(iter(holder.credentials)))
    response = client.post(LOGIN, json={"credential": holder.get(options)})
    assert response.status_code == 200, response.json


def test_an_unknown_address_gets_a_stable_decoy(client: FlaskClient) -> None:
    first = login_options(client, "nobody@example.com")["allowCredentials"]
    again = login_options(client, "Nobody@example.com")["allowCredentials"]
    assert len(first) == 1 and first == again
    assert login_options(client, "other@example.com")["allowCredentials"] != first


def test_cookie_only(client: FlaskClient, holder: SoftAuthenticator) -> None:
    response = sign_in(client, holder, query="?cookieOnly=true")
    assert response.status_code == 204
    assert "x-access-token=" in response.headers["Set-Cookie"]


def test_a_synced_passkey_is_swk(app: Flask, client: FlaskClient,
                                 user: dict[str, Any]) -> None:
    synced = SoftAuthenticator(ORIGIN, synced=True)
    assert register_passkey(client, user["headers"], synced).status_code == 201
    response = sign_in(client, synced)
    assert response.status_code == 200, response.json
    assert authentication_methods(session_row(app, response.json["token"])) == ("swk",)
    assert passkey_row(app).backup_eligible is True


def test_user_verification_is_required(client: FlaskClient, user: dict[str, Any]) -> None:
    presence_only = SoftAuthenticator(ORIGIN, user_verification=False)
    assert register_passkey(client, user["headers"], presence_only).status_code == 201
    response = sign_in(client, presence_only)
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "PasskeyNotValid"


def test_a_sign_count_going_backwards_is_refused_and_signalled(
        app: Flask, client: FlaskClient, holder: SoftAuthenticator) -> None:
    assert sign_in(client, holder).status_code == 200
    assert sign_in(client, holder).status_code == 200
    clone = next(iter(holder.credentials.values()))
    clone.sign_count = 0  # a copy of the key, its counter behind
    suspected: list[int] = []

    def on_clone(_sender: Any, **kwargs: Any) -> None:
        suspected.append(kwargs["sign_count"])

    with signals.passkey_clone_suspected.connected_to(on_clone):
        response = sign_in(client, holder)
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "PasskeyCloned"
    assert suspected == [1]
    assert passkey_row(app).sign_count == 2


def test_a_disabled_account_is_refused(app: Flask, client: FlaskClient,
                                       user: dict[str, Any],
                                       holder: SoftAuthenticator) -> None:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.execute(update(User).where(User.id == uuid.UUID(user["userId"]))
                        .values(disabled_at=utcnow()))
        session.commit()
    response = sign_in(client, holder)
    assert response.status_code == 401
    assert response.json["validationErrors"][0]["type"] == "AccountDisabled"


def test_refused_assertions_lock_the_account(client: FlaskClient, user: dict[str, Any],
                                             holder: SoftAuthenticator) -> None:
    for _ in range(5):
        assertion = holder.get(login_options(client))
        assertion["response"]["signature"] = b64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
        refused = client.post(LOGIN, json={"credential": assertion})
        assert refused.status_code == 400, refused.json
    locked = sign_in(client, holder)
    assert locked.status_code == 429
    password = client.post("/v2/authenticate",
                           json={"email": user["email"], "password": PASSWORD})
    assert password.status_code == 429


def test_a_passkey_answers_the_second_factor(app: Flask, client: FlaskClient,
                                             user: dict[str, Any],
                                             holder: SoftAuthenticator,
                                             totp_clock: TotpClock) -> None:
    enable(client, user["headers"], totp_clock)
    credentials = {"email": user["email"], "password": PASSWORD}
    first_factor(client)
    options = client.post(MFA_OPTIONS, json=credentials)
    assert options.status_code == 200, options.json
    assertion = holder.get(options.json["publicKey"])
    response = client.post(MFA_LOGIN, json={**credentials, "credential": assertion})
    assert response.status_code == 200, response.json
    assert authentication_methods(session_row(app, response.json["token"])) \
        == ("pwd", "hwk", "mfa")
    # the first factor was used: once more needs a new 202
    options = client.post(MFA_OPTIONS, json=credentials).json["publicKey"]
    again = client.post(MFA_LOGIN, json={**credentials, "credential": holder.get(options)})
    assert again.status_code == 408
    assert again.json["name"] == "FirstAuthenticationFactorExpired"


def test_the_second_factor_needs_the_right_password(client: FlaskClient,
                                                    user: dict[str, Any],
                                                    holder: SoftAuthenticator,
                                                    totp_clock: TotpClock) -> None:
    enable(client, user["headers"], totp_clock)
    first_factor(client)
    wrong = client.post(MFA_OPTIONS, json={"email": user["email"], "password": "nope nope"})
    assert wrong.status_code == 400
    assert wrong.json["validationErrors"][0]["type"] == "WrongCredentials"


def test_the_sign_in_operations_share_the_login_rate_limit(
        make_app: Callable[..., Flask]) -> None:
    client = make_app({**PASSKEY_CONFIG, "USERCORE_RATELIMIT_AUTH": "3/minute"}).test_client()
    assert client.post("/v2/authenticate-passkey/options", json={}).status_code == 200
    assert client.post(LOGIN, json={"credential": {}}).status_code == 400
    assert client.post(MFA_OPTIONS, json={"email": "a@example.com",
                                          "password": "x" * 12}).status_code == 400
    limited = client.post(MFA_LOGIN, json={"email": "a@example.com", "password": "x" * 12,
                                           "credential": {}})
    assert limited.status_code == 429
