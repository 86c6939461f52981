"""``POST /v2/oauth2/token``: authorization code (+ PKCE), refresh with rotation and reuse
detection, the password grant; RFC 6749 error bodies; what an OAuth2 token may call."""

from __future__ import annotations

from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.api.oauth2_support import (
    REDIRECT_URI,
    bearer,
    code_for,
    exchange,
    new_client,
    pkce,
)
from tests.conftest import PASSWORD, enable_mfa


def _tokens(app: Flask, client: FlaskClient, user: dict[str, Any], scope: str = "profile",
            **client_options: Any) -> tuple[str, str | None, dict[str, Any]]:
    client_id, secret = new_client(app, **client_options)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge, scope=scope)
    response = exchange(client, client_id, secret, code, verifier)
    assert response.status_code == 200, response.json
    return client_id, secret, response.json


def test_code_exchange_answers_mittwalds_token_body(app: Flask, client: FlaskClient,
                                                    user: dict[str, Any]) -> None:
    _, _, body = _tokens(app, client, user)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600 and body["scope"] == "profile"
    assert body["access_token"] != body["refresh_token"]
    me = client.get("/v2/users/self", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json["userId"] == user["userId"]


def test_scope_profile_allows_the_profile_and_nothing_else(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    _, _, body = _tokens(app, client, user)
    headers = bearer(body["access_token"])
    changed = client.put("/v2/users/self/personal-information", headers=headers,
                         json={"person": {"firstName": "Augusta", "lastName": "King"}})
    assert changed.status_code == 204, changed.json
    refused = client.get("/v2/users/self/api-tokens", headers=headers)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]


def test_a_code_works_once_and_its_second_use_revokes_the_first_tokens(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret = new_client(app)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge)
    first = exchange(client, client_id, secret, code, verifier)
    assert first.status_code == 200
    second = exchange(client, client_id, secret, code, verifier)
    assert second.status_code == 400 and second.json["error"] == "invalid_grant"
    assert client.get("/v2/users/self",
                      headers=bearer(first.json["access_token"])).status_code == 401
    refreshed = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": first.json["refresh_token"]})
    assert refreshed.json["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_client_redirect_uri_and_verifier(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret = new_client(app)
    other_id, other_secret = new_client(app, redirect_uris=(REDIRECT_URI, REDIRECT_URI + "2"))
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge)
    assert exchange(client, other_id, other_secret, code, verifier).json["error"] == \
        "invalid_grant"
    wrong_uri = exchange(client, client_id, secret, code, verifier,
                         redirect_uri=REDIRECT_URI + "2")
    assert wrong_uri.json["error"] == "invalid_grant"
    assert exchange(client, client_id, secret, code, pkce()[0]).json["error"] == "invalid_grant"
    assert exchange(client, client_id, secret, code).json["error"] == "invalid_request"
    assert exchange(client, client_id, secret, code, verifier).status_code == 200


def test_a_public_client_needs_the_verifier_and_no_secret(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, public=True)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge)
    assert exchange(client, client_id, None, code).json["error"] == "invalid_request"
    assert exchange(client, client_id, None, code, verifier).status_code == 200


def test_wrong_client_credentials_are_a_400_invalid_client(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret = new_client(app)
    code = code_for(client, client_id, user["headers"])
    for auth in ((client_id, "wrong"), ("nobody", secret)):
        response = exchange(client, auth[0], auth[1], code)
        assert response.status_code == 400 and response.json["error"] == "invalid_client"
    form = exchange(client, client_id, None, code, client_secret=secret)
    assert form.status_code == 200, "client_secret_post is accepted too"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret, body = _tokens(app, client, user)
    refresh: dict[str, Any] = {"grant_type": "refresh_token",
                               "refresh_token": body["refresh_token"]}
    rotated = client.post("/v2/oauth2/token", auth=(client_id, secret), data=refresh)
    assert rotated.status_code == 200 and rotated.json["token_type"] == "bearer"
    assert rotated.json["refresh_token"] != body["refresh_token"]
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 401
    new_headers = bearer(rotated.json["access_token"])
    assert client.get("/v2/users/self", headers=new_headers).status_code == 200
    revoked: list[dict[str, Any]] = []
    with signals.oauth2_token_revoked.connected_to(lambda s, **kw: revoked.append(kw)):
        reused = client.post("/v2/oauth2/token", auth=(client_id, secret), data=refresh)
    assert reused.status_code == 400 and reused.json["error"] == "invalid_grant"
    assert revoked and revoked[0]["reason"] == "refresh_token_reused"
    assert client.get("/v2/users/self", headers=new_headers).status_code == 401
    later = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": rotated.json["refresh_token"]})
    assert later.json["error"] == "invalid_grant"


def test_refresh_may_narrow_but_not_widen_the_scope(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret, body = _tokens(app, client, user, "profile email",
                                      scopes=("profile", "email"))
    wider = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "scope": "profile email openid"})
    assert wider.json["error"] == "invalid_scope"
    narrower = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "scope": "email"})
    assert narrower.status_code == 200 and narrower.json["scope"] == "email"


def test_another_clients_refresh_token_is_refused(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    _, _, body = _tokens(app, client, user)
    other_id, other_secret = new_client(app)
    response = client.post("/v2/oauth2/token", auth=(other_id, other_secret), data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert response.json["error"] == "invalid_grant"


PASSWORD_GRANTS = ("password", "refresh_token")


def test_password_grant_for_the_clients_allowed_it(app: Flask, client: FlaskClient,
                                                   user: dict[str, Any]) -> None:
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANTS)
    issued: list[dict[str, Any]] = []
    with signals.oauth2_token_issued.connected_to(lambda s, **kw: issued.append(kw)):
        response = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
            "grant_type": "password", "username": user["email"], "password": PASSWORD,
            "scope": "profile"})
    assert response.status_code == 200, response.json
    assert response.json["token_type"] == "bearer" and response.json["refresh_token"]
    assert issued[0]["grant_type"] == "password" and issued[0]["client_id"] == client_id
    wrong = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "password", "username": user["email"], "password": "nope nope 123"})
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    code_client, code_secret = new_client(app)
    refused = client.post("/v2/oauth2/token", auth=(code_client, code_secret), data={
        "grant_type": "password", "username": user["email"], "password": PASSWORD})
    assert refused.json["error"] == "unauthorized_client"


def test_password_grant_with_mfa_needs_the_code(app: Flask, client: FlaskClient,
                                                user: dict[str, Any]) -> None:
    secret_key = enable_mfa(app, user["userId"])
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANTS)
    form = {"grant_type": "password", "username": user["email"], "password": PASSWORD}
    missing = client.post("/v2/oauth2/token", auth=(client_id, secret), data=form)
    assert missing.json["error"] == "invalid_grant"
    assert "multi_factor_code" in missing.json["error_description"]
    assert client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        **form, "multi_factor_code": "000000"}).json["error"] == "invalid_grant"
    ok = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        **form, "multi_factor_code": pyotp.TOTP(secret_key).now()})
    assert ok.status_code == 200, ok.json


def test_unsupported_grant_type_and_missing_fields(app: Flask, client: FlaskClient) -> None:
    client_id, secret = new_client(app)
    kinds = client.post("/v2/oauth2/token", auth=(client_id, secret),
                        data={"grant_type": "client_credentials"})
    assert kinds.status_code == 400 and kinds.json["error"] == "unsupported_grant_type"
    missing = client.post("/v2/oauth2/token", auth=(client_id, secret),
                          data={"grant_type": "authorization_code"})
    assert missing.json["error"] == "invalid_request"


def test_the_token_endpoint_is_rate_limited_per_client(make_app: Any) -> None:
    app = make_app({"USERCORE_OAUTH2_RATELIMIT": "3/minute"})
    client_id, secret = new_client(app)
    http = app.test_client()
    statuses = [http.post("/v2/oauth2/token", auth=(client_id, secret),
                          data={"grant_type": "refresh_token", "refresh_token": "x"},
                          environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
                for n in range(4)]
    assert statuses == [400, 400, 400, 429]
