"""The host's own views protected with our tokens: ``auth_required``, ``current_user``,
``current_auth`` and the Flask-Login bridge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from flask_usercore import current_auth, current_user
from flask_usercore.models import Credential, utcnow
from flask_usercore.security.tokens import hash_token, new_token


@pytest.fixture
def app(app: Flask) -> Flask:
    core = app.extensions["usercore"].core

    @app.get("/dashboard")
    @core.auth_required
    def dashboard() -> Any:
        assert current_auth and current_user
        return jsonify(email=current_user.email, kind=current_auth.kind)

    @app.post("/cards")
    @core.auth_required(kinds={"session", "oauth2"}, scopes={"profile"})
    def cards() -> Any:
        return jsonify(user=str(core.current_user.id)), 201

    @app.get("/public")
    def public() -> Any:
        assert core.current_user is None and core.current_auth is None and not current_user
        return jsonify(user=str(current_user.id) if current_user else None)

    return app


def oauth2_token(app: Flask, user_id: str, scope: str) -> str:
    token = new_token()
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.add(Credential(id=uuid.uuid4(), user_id=uuid.UUID(user_id), kind="oauth2",
                               token_hash=hash_token(token), roles=scope,
                               expires_at=utcnow() + dt.timedelta(hours=1)))
        session.commit()
    return token


def test_a_protected_host_view_sees_the_user(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get("/dashboard", headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"email": user["email"], "kind": "session"}


def test_without_a_token_it_is_the_wire_401(client: FlaskClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 401
    assert response.json["type"] == "Unauthorized" and response.json["code"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_kinds_and_scopes_are_enforced(app: Flask, client: FlaskClient,
                                       user: dict[str, Any]) -> None:
    good = oauth2_token(app, user["userId"], "profile")
    bad = oauth2_token(app, user["userId"], "openid")
    assert client.post("/cards", headers={"x-access-token": good}).status_code == 201
    refused = client.post("/cards", headers={"x-access-token": bad})
    assert refused.status_code == 403 and refused.json["type"] == "Forbidden"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    # the default kinds (session, API token) do not include OAuth2
    assert client.get("/dashboard", headers={"x-access-token": good}).status_code == 403


def test_current_user_is_none_outside_protected_views(client: FlaskClient,
                                                      user: dict[str, Any]) -> None:
    assert client.get("/public", headers=user["headers"]).json == {"user": None}


def test_flask_login_current_user_resolves_our_tokens(make_app: Callable[..., Flask],
                                                      user: dict[str, Any]) -> None:
    flask_login = pytest.importorskip("flask_login")
    host = make_app()  # another app on the same database, set up before its first request
    manager = flask_login.LoginManager(host)
    host.extensions["usercore"].core.init_login_manager(manager)

    @host.get("/fl")
    @flask_login.login_required
    def fl() -> Any:
        return jsonify(id=flask_login.current_user.get_id(),
                       email=flask_login.current_user.email)

    client = host.test_client()
    response = client.get("/fl", headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"id": user["userId"], "email": user["email"]}
    assert client.get("/fl").status_code == 401
    assert client.get("/fl", headers={"x-access-token": "nope"}).status_code == 401
