"""A disabled account: no login by any way in (``AccountDisabled``), and disabling ends its
sessions, API tokens and OAuth2 grants and tokens; enabling lets it log in again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from flask_usercore.errors import Conflict
from flask_usercore.models import Credential, OAuth2Consent, User, utcnow
from flask_usercore.services.admin import CLI, disable_user, enable_user
from flask_usercore.services.context import commit
from tests.api.oauth2_support import bearer, code_for, exchange, new_client
from tests.conftest import PASSWORD, enable_mfa


def _disable(app: Flask, user_id: str) -> int:
    with app.app_context():
        deps = app.extensions["usercore"].deps
        ended = disable_user(deps, CLI, deps.session.get(User, uuid.UUID(user_id)))
        commit(deps.session)
    return ended


def _enable(app: Flask, user_id: str) -> None:
    with app.app_context():
        deps = app.extensions["usercore"].deps
        enable_user(deps, CLI, deps.session.get(User, uuid.UUID(user_id)))
        commit(deps.session)


def _credentials(app: Flask, user_id: str) -> list[str]:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        return sorted(session.scalars(select(Credential.kind).where(
            Credential.user_id == uuid.UUID(user_id))).all())


def test_a_disabled_account_cannot_log_in_and_says_why(app: Flask, client: FlaskClient,
                                                       user: dict[str, Any]) -> None:
    _disable(app, user["userId"])
    response = client.post("/v2/authenticate",
                           json={"email": user["email"], "password": PASSWORD})
    # mittwald's 401 of a login (the ContractClient checks the body against the document)
    assert response.status_code == 401
    assert response.json["type"] == "ValidationError" and "message" not in response.json
    assert response.json["validationErrors"][0]["type"] == "AccountDisabled"
    assert "disabled" in response.json["validationErrors"][0]["message"]
    # a wrong password says nothing about the state
    wrong = client.post("/v2/authenticate", json={"email": user["email"], "password": "x" * 12})
    assert wrong.json["validationErrors"][0]["type"] == "WrongCredentials"
    _enable(app, user["userId"])
    again = client.post("/v2/authenticate", json={"email": user["email"], "password": PASSWORD})
    assert again.status_code == 200


def test_disabling_ends_sessions_api_tokens_and_retrieval_keys(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    created = client.post("/v2/users/self/api-tokens", headers=user["headers"],
                          json={"description": "ci", "roles": ["api_read"]})
    api_token = created.json["token"]
    refresh = client.post("/v2/authenticate", json={"email": user["email"],
                                                     "password": PASSWORD}).json["refreshToken"]
    with app.app_context():
        app.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user["userId"]))
    assert _disable(app, user["userId"]) >= 4
    assert _credentials(app, user["userId"]) == []
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 401
    assert client.get("/v2/users/self", headers=bearer(api_token)).status_code == 401
    refreshed = client.put("/v2/users/self/sessions", json={"refreshToken": refresh})
    assert refreshed.status_code == 400
    with app.app_context(), pytest.raises(Conflict):
        app.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user["userId"]))


def test_a_credential_left_of_a_disabled_account_is_refused(app: Flask, client: FlaskClient,
                                                            user: dict[str, Any]) -> None:
    """A host that sets ``disabled_at`` itself: the authenticator refuses what is left."""
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.execute(update(User).where(User.id == uuid.UUID(user["userId"]))
                        .values(disabled_at=utcnow()))
        session.commit()
    response = client.get("/v2/users/self", headers=user["headers"])
    assert response.status_code == 401
    assert response.json["type"] == "AccountDisabled"


def test_mfa_login_of_a_disabled_account(app: Flask, client: FlaskClient,
                                         user: dict[str, Any]) -> None:
    enable_mfa(app, user["userId"])
    _disable(app, user["userId"])
    response = client.post("/v2/authenticate-mfa", json={
        "email": user["email"], "password": PASSWORD, "multiFactorCode": "123456"})
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "AccountDisabled"


def test_disabling_ends_oauth2_grants_and_tokens_and_the_password_grant(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret = new_client(app, grant_types=("authorization_code", "refresh_token",
                                                     "password"))
    code = code_for(client, client_id, user["headers"])
    tokens = exchange(client, client_id, secret, code).json
    assert client.get("/v2/users/self", headers=bearer(tokens["access_token"])
                      ).status_code == 200
    _disable(app, user["userId"])
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        assert session.scalars(select(OAuth2Consent)).all() == []
    assert client.get("/v2/users/self", headers=bearer(tokens["access_token"])
                      ).status_code == 401
    refreshed = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json["error"] == "invalid_grant"
    password = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "password", "username": user["email"], "password": PASSWORD})
    assert password.status_code == 400 and password.json["error"] == "invalid_grant"
    assert "disabled" in password.json["error_description"]


def test_signals_of_disable_and_enable(app: Flask, user: dict[str, Any]) -> None:
    from flask_usercore import signals

    seen: list[tuple[str, Any]] = []
    with signals.user_disabled.connected_to(
            lambda sender, **kw: seen.append(("disabled", (kw["actor"], str(kw["user"].id)))),
            app), \
            signals.user_enabled.connected_to(
                lambda sender, **kw: seen.append(("enabled", kw["actor"])), app), \
            signals.admin_action.connected_to(
                lambda sender, **kw: seen.append(("admin", kw["entry"].action)), app):
        _disable(app, user["userId"])
        _enable(app, user["userId"])
    names = [name for name, _ in seen]
    assert names == ["admin", "disabled", "admin", "enabled"]
    assert seen[1][1] == (None, user["userId"]) and seen[3][1] is None


def test_a_retrieval_key_made_before_the_disable_is_refused(app: Flask, client: FlaskClient,
                                                            user: dict[str, Any]) -> None:
    with app.app_context():
        key = app.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user["userId"]))
        session = app.extensions["usercore"].deps.session
        session.execute(update(User).where(User.id == uuid.UUID(user["userId"]))
                        .values(disabled_at=utcnow()))
        session.commit()
    response = client.post("/v2/authenticate-token-retrieval-key", json={
        "accessTokenRetrievalKey": key, "userId": user["userId"]})
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "AccountDisabled"


def test_the_flask_login_user_of_a_disabled_account_is_not_active() -> None:
    from flask_usercore.auth import LoginUser
    from flask_usercore.services.context import Auth

    user = User(id=uuid.uuid4(), email="a@example.com")
    login_user = LoginUser(Auth(user, Credential(), "token"))
    assert login_user.is_active
    user.disabled_at = utcnow()
    assert not login_user.is_active and user.disabled
