"""With ``USERCORE_OAUTH2_JWT_KEY``: RFC 9068 access tokens, the JWKS, OpenID Connect
(``id_token`` and userinfo) and the server metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from flask_usercore.config import ConfigError
from tests.api.oauth2_support import bearer, code_for, exchange, new_client, pkce

ISSUER = "https://id.example.com/v2"


@pytest.fixture(scope="module")
def private_pem() -> str:
    return RSAKey.generate_key(2048).as_pem(private=True).decode()


@pytest.fixture
def jwt_app(make_app: Callable[..., Flask], private_pem: str) -> Flask:
    return make_app({"USERCORE_OAUTH2_JWT_KEY": private_pem, "USERCORE_OAUTH2_ISSUER": ISSUER})


def _user_headers(http: FlaskClient) -> dict[str, str]:
    from tests.conftest import PASSWORD

    body = {"email": "grace@example.com", "password": PASSWORD,
            "person": {"firstName": "Grace", "lastName": "Hopper"}}
    assert http.post("/v2/register", json=body).status_code == 201
    from flask_usercore.models import User

    app = http.application
    with app.app_context():
        from sqlalchemy import update

        from flask_usercore.models import utcnow
        session = app.extensions["usercore"].deps.session
        session.execute(update(User).values(email_verified_at=utcnow()))
        session.commit()
    token = http.post("/v2/authenticate", json={"email": body["email"],
                                                "password": PASSWORD}).json["token"]
    return bearer(token)


def _tokens(app: Flask, http: FlaskClient, scope: str) -> tuple[str, str | None, Any]:
    client_id, secret = new_client(app, scopes=("profile", "openid", "email"))
    headers = _user_headers(http)
    verifier, challenge = pkce()
    code = code_for(http, client_id, headers, challenge, scope=scope, nonce="n-0S6_WzA2Mj")
    return client_id, secret, exchange(http, client_id, secret, code, verifier).json


def test_access_tokens_are_rfc9068_jwts_verified_with_the_jwks(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    client_id, _, body = _tokens(jwt_app, http, "profile")
    keys = KeySet.import_key_set(http.get("/v2/oauth2/jwks").json)
    token = jwt.decode(body["access_token"], keys, algorithms=["RS256"])
    assert token.header["typ"] == "at+jwt" and token.header["kid"] == keys.keys[0].kid
    claims = token.claims
    assert claims["iss"] == ISSUER and claims["aud"] == ISSUER
    assert claims["client_id"] == client_id and claims["scope"] == "profile"
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]
    assert body["token_type"] == "bearer"
    assert "d" not in http.get("/v2/oauth2/jwks").json["keys"][0], "no private part served"


def test_a_revoked_jwt_stops_working_here_at_once(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    client_id, secret, body = _tokens(jwt_app, http, "profile")
    headers = bearer(body["access_token"])
    assert http.get("/v2/users/self", headers=headers).status_code == 200
    assert http.post("/v2/oauth2/revoke", auth=(client_id, secret),
                     data={"token": body["access_token"]}).status_code == 200
    assert http.get("/v2/users/self", headers=headers).status_code == 401
    introspected = http.post("/v2/oauth2/introspect", auth=(client_id, secret),
                             data={"token": body["access_token"]}).json
    assert introspected == {"active": False}


def test_the_jti_is_the_credential_row(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    client_id, secret, body = _tokens(jwt_app, http, "profile")
    jti = jwt.decode(body["access_token"],
                     KeySet.import_key_set(http.get("/v2/oauth2/jwks").json)).claims["jti"]
    seen = http.post("/v2/oauth2/introspect", auth=(client_id, secret),
                     data={"token": body["access_token"]}).json
    assert seen["jti"] == jti


def test_openid_adds_an_id_token_and_userinfo(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    client_id, _, body = _tokens(jwt_app, http, "openid profile email")
    keys = KeySet.import_key_set(http.get("/v2/oauth2/jwks").json)
    id_token = jwt.decode(body["id_token"], keys).claims
    assert id_token["iss"] == ISSUER and id_token["aud"] == [client_id]
    assert id_token["nonce"] == "n-0S6_WzA2Mj" and id_token["email"] == "grace@example.com"
    assert id_token["given_name"] == "Grace" and "at_hash" in id_token
    info = http.get("/v2/oauth2/userinfo", headers=bearer(body["access_token"]))
    assert info.status_code == 200
    assert info.json["sub"] == id_token["sub"] and info.json["email_verified"] is True


def test_userinfo_needs_the_openid_scope(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    _, _, body = _tokens(jwt_app, http, "profile")
    response = http.get("/v2/oauth2/userinfo", headers=bearer(body["access_token"]))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_metadata_at_the_well_known_location_of_the_issuer(jwt_app: Flask) -> None:
    http = jwt_app.test_client()
    doc = http.get("/.well-known/oauth-authorization-server/v2").json
    assert doc["issuer"] == ISSUER and doc["token_endpoint"] == f"{ISSUER}/oauth2/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "openid" in doc["scopes_supported"] and doc["jwks_uri"] == f"{ISSUER}/oauth2/jwks"
    assert http.get("/v2/.well-known/openid-configuration").json == doc


def test_without_a_key_tokens_are_opaque_and_openid_is_unknown(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, scopes=("profile", "openid"))
    response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string={
        "response_type": "code", "client_id": client_id, "scope": "openid profile",
        "grant_consent": "true", "redirect_uri": "http://127.0.0.1:8765/callback"})
    assert "error=invalid_scope" in response.headers["Location"]
    assert client.get("/v2/oauth2/jwks").status_code == 404
    doc = client.get("/.well-known/oauth-authorization-server/v2").json
    assert doc["issuer"] == "http://localhost/v2" and "jwks_uri" not in doc


def test_a_bad_key_is_refused_at_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="USERCORE_OAUTH2_JWT_KEY"):
        make_app({"USERCORE_OAUTH2_JWT_KEY": "-----BEGIN PUBLIC KEY-----\nxx\n"})
    with pytest.raises(ConfigError, match="USERCORE_OAUTH2_ISSUER"):
        make_app({"USERCORE_OAUTH2_ISSUER": "https://id.example.com/v2/"})
