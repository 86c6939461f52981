"""The edges of the OAuth2 and OpenID Connect standards that strict clients walk (issue 27):
``prompt`` and ``max_age`` (OIDC Core 3.1.2.1, 3.1.2.6) with ``auth_time``, userinfo by POST
(5.3.1), loopback redirect URIs on any port (RFC 8252 7.3), ``iss`` in the authorization
response (RFC 9207), ``invalid_token`` (RFC 6750 3.1) and a long ``nonce``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from flask_usercore.models import OAuth2Client, utcnow
from tests.api.oauth2_support import (
    REDIRECT_URI,
    authorize_params,
    bearer,
    code_for,
    exchange,
    new_client,
    pkce,
    query_of,
)
from tests.conftest import PASSWORD

ISSUER = "https://id.example.com/v2"
OIDC_SCOPES = ("profile", "openid", "email")


@pytest.fixture(scope="module")
def private_pem() -> str:
    return RSAKey.generate_key(2048).as_pem(private=True).decode()


@pytest.fixture
def oidc_app(make_app: Callable[..., Flask], private_pem: str) -> Flask:
    return make_app({"USERCORE_OAUTH2_JWT_KEY": private_pem, "USERCORE_OAUTH2_ISSUER": ISSUER})


def _later(app: Flask, monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Move the services' clock ``seconds`` ahead of the real time (sessions were created
    at the real time)."""
    clock = app.extensions["usercore"].deps.clock
    monkeypatch.setattr(clock, "source", lambda: utcnow() + dt.timedelta(seconds=seconds))


def _authorize(client: FlaskClient, client_id: str, headers: dict[str, str] | None = None,
               **extra: Any) -> Any:
    return client.get("/v2/oauth2/authorize", headers=headers or {},
                      query_string=authorize_params(client_id, **extra))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _id_token(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    keys = KeySet.import_key_set(client.get("/v2/oauth2/jwks").json)
    claims: dict[str, Any] = jwt.decode(body["id_token"], keys).claims
    return claims


# -- prompt=none ----------------------------------------------------------------------------

@pytest.mark.parametrize("scope", ["profile", "openid profile"])
def test_prompt_none_without_consent_is_consent_required(
        oidc_app: Flask, user: dict[str, Any], scope: str) -> None:
    """It showed the consent page (a 302 to our consent page)."""
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    response = _authorize(client, client_id, user["headers"], prompt="none", scope=scope)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    query = query_of(response.headers["Location"])
    assert query["error"] == "consent_required" and "code" not in query
    assert query["state"] == "st-123" and query["iss"] == ISSUER
    client.set_cookie("x-access-token", user["token"])  # a browser's session: the same
    cookie = query_of(_authorize(client, client_id, prompt="none",
                                 scope=scope).headers["Location"])
    assert cookie["error"] == "consent_required"


@pytest.mark.parametrize("scope", ["profile", "openid profile"])
def test_prompt_none_without_a_session_is_login_required(oidc_app: Flask, scope: str) -> None:
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    query = query_of(_authorize(client, client_id, prompt="none",
                                scope=scope).headers["Location"])
    assert query["error"] == "login_required" and query["state"] == "st-123"


def test_prompt_none_with_consent_gives_a_code_and_none_with_others_is_refused(
        oidc_app: Flask, user: dict[str, Any]) -> None:
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    code_for(client, client_id, user["headers"])  # consents
    silent = query_of(_authorize(client, client_id, user["headers"],
                                 prompt="none").headers["Location"])
    assert silent["code"] and silent["iss"] == ISSUER
    mixed = query_of(_authorize(client, client_id, user["headers"],
                                prompt="none consent").headers["Location"])
    assert mixed["error"] == "invalid_request"


# -- prompt=login, max_age, auth_time -------------------------------------------------------

def test_auth_time_is_the_login_time_not_the_codes(
        oidc_app: Flask, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The session was created at the login; the code 100 seconds later (auth_time was the
    code's issue time)."""
    client = oidc_app.test_client()
    client_id, secret = new_client(oidc_app, scopes=OIDC_SCOPES)
    signed_in_at = int(utcnow().timestamp())
    _later(oidc_app, monkeypatch, 100)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge, scope="openid profile")
    body = exchange(client, client_id, secret, code, verifier).json
    claims = _id_token(client, body)
    assert abs(claims["auth_time"] - signed_in_at) <= 2, claims
    assert claims["iat"] - claims["auth_time"] >= 98


@pytest.mark.parametrize("extra", [{"prompt": "login"}, {"max_age": "50"}])
def test_prompt_login_and_an_old_login_beyond_max_age_force_a_new_login(
        oidc_app: Flask, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        extra: dict[str, str]) -> None:
    """Both were ignored: a signed-in user with a consent got a code at once."""
    client = oidc_app.test_client()
    client_id, secret = new_client(oidc_app, scopes=OIDC_SCOPES)
    code_for(client, client_id, user["headers"], scope="openid profile")  # consents
    _later(oidc_app, monkeypatch, 100)
    client.set_cookie("x-access-token", user["token"])
    verifier, challenge = pkce()
    params = {"scope": "openid profile", "challenge": challenge, **extra}
    first = _authorize(client, client_id, **params)
    assert first.status_code == 302
    login_url = first.headers["Location"]
    assert login_url.startswith("/v2/oauth2/login?"), login_url
    silent = {"prompt": "none login"} if "prompt" in extra else {**extra, "prompt": "none"}
    assert query_of(_authorize(client, client_id, scope="openid profile", **silent)
                    .headers["Location"])["error"] == (
        "login_required" if "max_age" in extra else "invalid_request")
    page = client.get(login_url)
    assert page.status_code == 200, "the signed-in user must sign in again"
    signed_in = client.post(login_url, data={"csrf_token": _csrf(page.get_data(as_text=True)),
                                             "email": user["email"], "password": PASSWORD})
    assert signed_in.status_code == 303
    onward = signed_in.headers["Location"]
    assert "prompt=login" not in onward and "max_age" not in onward
    login_time = int(utcnow().timestamp()) + 100  # the new session's creation
    redirected = client.get(onward)
    query = query_of(redirected.headers["Location"])
    assert query["code"], redirected.headers["Location"]
    body = exchange(client, client_id, secret, query["code"], verifier).json
    assert abs(_id_token(client, body)["auth_time"] - login_time) <= 2


def test_a_login_within_max_age_needs_no_new_one(
        oidc_app: Flask, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    code_for(client, client_id, user["headers"])  # consents
    _later(oidc_app, monkeypatch, 100)
    assert "code" in query_of(_authorize(client, client_id, user["headers"],
                                         max_age="200").headers["Location"])
    for bad in ("-1", "1.5", "soon", "9" * 12):
        query = query_of(_authorize(client, client_id, user["headers"],
                                    max_age=bad).headers["Location"])
        assert query["error"] == "invalid_request", bad


# -- userinfo ---------------------------------------------------------------------------------

def test_userinfo_answers_post_too(oidc_app: Flask, user: dict[str, Any]) -> None:
    """OIDC Core 5.3.1: GET and POST (POST was a 405)."""
    client = oidc_app.test_client()
    client_id, secret = new_client(oidc_app, scopes=OIDC_SCOPES)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge, scope="openid email")
    token = exchange(client, client_id, secret, code, verifier).json["access_token"]
    got = client.get("/v2/oauth2/userinfo", headers=bearer(token))
    posted = client.post("/v2/oauth2/userinfo", headers=bearer(token))
    assert posted.status_code == 200 and posted.json == got.json
    assert posted.json["email"] == user["email"]
    assert client.post("/v2/oauth2/userinfo", headers=user["headers"]).status_code == 403


# -- RFC 6750 3.1 -----------------------------------------------------------------------------

def test_a_bad_or_expired_bearer_token_is_invalid_token(
        oidc_app: Flask, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    client = oidc_app.test_client()
    for path in ("/v2/users/self", "/v2/oauth2/userinfo"):
        bad = client.get(path, headers=bearer("not-a-token"))
        assert bad.status_code == 401
        assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"], path
        assert bad.headers["WWW-Authenticate"].startswith("Bearer ")
        missing = client.get(path)
        assert missing.status_code == 401
        assert "error=" not in missing.headers["WWW-Authenticate"], "no token, no error code"
    client_id, secret = new_client(oidc_app, scopes=OIDC_SCOPES)
    verifier, challenge = pkce()
    code = code_for(client, client_id, user["headers"], challenge, scope="openid profile")
    token = exchange(client, client_id, secret, code, verifier).json["access_token"]
    _later(oidc_app, monkeypatch, 7200)
    expired = client.get("/v2/oauth2/userinfo", headers=bearer(token))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


# -- RFC 9207 -----------------------------------------------------------------------------------

def test_every_authorization_response_carries_iss_and_the_metadata_says_so(
        oidc_app: Flask, user: dict[str, Any]) -> None:
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    success = query_of(_authorize(client, client_id, user["headers"],
                                  grant_consent="true").headers["Location"])
    assert success["code"] and success["iss"] == ISSUER
    for extra in ({"grant_consent": "false"}, {"scope": "admin"},
                  {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
                  {"state": "st-123\x00"}):
        error = query_of(_authorize(client, client_id, user["headers"],
                                    **extra).headers["Location"])
        assert error["error"] and error["iss"] == ISSUER, extra
    for path in ("/v2/.well-known/openid-configuration",
                 "/.well-known/oauth-authorization-server/v2"):
        assert client.get(path).json["authorization_response_iss_parameter_supported"] is True


def test_authlib_checks_iss_of_the_authorization_response(
        oidc_app: Flask, user: dict[str, Any]) -> None:
    """A strict client (Authlib's) accepts our response: the issuer it expects is sent."""
    from authlib.integrations.requests_client import OAuth2Session

    client = oidc_app.test_client()
    client_id, secret = new_client(oidc_app, scopes=OIDC_SCOPES)
    session = OAuth2Session(client_id, secret, scope="profile", redirect_uri=REDIRECT_URI,
                            code_challenge_method="S256")
    verifier = pkce()[0]
    url, state = session.create_authorization_url(f"{ISSUER}/oauth2/authorize",
                                                  code_verifier=verifier,
                                                  grant_consent="true")
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}", headers=user["headers"])
    callback = response.headers["Location"]
    query = query_of(callback)
    assert query["state"] == state and query["iss"] == ISSUER


# -- RFC 8252 7.3 ---------------------------------------------------------------------------

def test_a_loopback_redirect_uri_may_use_any_port(app: Flask, client: FlaskClient,
                                                  user: dict[str, Any]) -> None:
    client_id, secret = new_client(app, redirect_uris=("http://127.0.0.1/callback",
                                                       "http://[::1]:8000/cb"))
    for uri in ("http://127.0.0.1:53170/callback", "http://127.0.0.1/callback",
                "http://[::1]:61000/cb", "http://[::1]/cb"):
        verifier, challenge = pkce()
        response = _authorize(client, client_id, user["headers"], challenge=challenge,
                              grant_consent="true", redirect_uri=uri)
        assert response.status_code == 302, (uri, response.data)
        assert response.headers["Location"].startswith(uri + "?")
        code = query_of(response.headers["Location"])["code"]
        token = exchange(client, client_id, secret, code, verifier, redirect_uri=uri)
        assert token.status_code == 200, uri
    for uri in ("http://127.0.0.1:53170/other", "http://127.0.0.1:53170/callback?x=1",
                "https://127.0.0.1:53170/callback", "http://localhost:53170/callback",
                "http://127.0.0.2:53170/callback", "http://user@127.0.0.1:53170/callback",
                "http://127.0.0.1:99999/callback"):
        response = _authorize(client, client_id, user["headers"], grant_consent="true",
                              redirect_uri=uri)
        assert response.status_code == 400, uri
        assert "Location" not in response.headers


def test_other_redirect_uris_still_match_exactly() -> None:
    client = OAuth2Client(client_id="c", name="n", grant_types="", scopes="",
                          redirect_uris="http://localhost:8765/cb\nhttps://app.example/cb")
    assert client.check_redirect_uri("http://localhost:8765/cb")
    assert not client.check_redirect_uri("http://localhost:8766/cb")
    assert not client.check_redirect_uri("https://app.example:444/cb")


# -- the nonce's column ------------------------------------------------------------------------

def test_a_5000_character_nonce_never_reaches_its_column(
        oidc_app: Flask, user: dict[str, Any]) -> None:
    """The column holds 255 characters (a 500 on PostgreSQL once): the input hygiene
    refuses a longer nonce at the authorization endpoint and on both pages."""
    client = oidc_app.test_client()
    client_id, _ = new_client(oidc_app, scopes=OIDC_SCOPES)
    for path in ("authorize", "login", "consent"):
        response = client.get(f"/v2/oauth2/{path}", headers=user["headers"],
                              query_string=authorize_params(client_id, scope="openid",
                                                            grant_consent="true",
                                                            nonce="n" * 5000))
        assert response.status_code == 302, (path, response.data)
        query = query_of(response.headers["Location"])
        assert query["error"] == "invalid_request" and "code" not in query
        assert query["error_description"] == "nonce must be at most 255 characters"
    code = code_for(client, client_id, user["headers"], scope="openid", nonce="n" * 255)
    assert code
