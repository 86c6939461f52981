"""Authlib's own OAuth2 client (``OAuth2Session``, on requests) against example_app over a
real socket: code + PKCE, refresh with rotation, reuse detection, the password grant,
revocation and introspection; and a JWT access token verified with the served JWKS by
joserfc. Responses of mittwald's two operations are checked against its document (a
requests response hook here, the httpx hook elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import PASSWORD
from tests.contract.oauth2_clients import (
    NO_LIMITS,
    REDIRECT_URI,
    admin_app,
    register_client,
)
from tests.contract.oauth2_clients import admin as admin  # the fixtures
from tests.contract.oauth2_clients import outbox as outbox
from tests.contract.oauth2_clients import served as served
from tests.contract.served import Served, log_in, register_verified, serve
from tests.contract.validation import ContractRequest, ContractResponse, check


@pytest.fixture(scope="module")
def session_token(served: Served) -> str:
    from mittwald_api_client import Client

    register_verified(served, "ada.authlib@example.com")
    public = Client(base_url=served.base_url, httpx_args=served.httpx_args())
    return log_in(public, "ada.authlib@example.com").token


def contract_hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Check a requests response against mittwald's document (as ``httpx_hook`` does)."""
    sent = response.request
    url = httpx.URL(sent.url or "")
    body = sent.body.encode() if isinstance(sent.body, str) else sent.body
    request = ContractRequest(
        method=sent.method or "GET", host_url=f"{url.scheme}://{url.netloc.decode()}/",
        path=url.path, content_type=sent.headers.get("content-type", "application/octet-stream"),
        body=body, parameters=RequestParameters(
            query=ImmutableMultiDict(url.params.multi_items()),
            header=Headers(list(sent.headers.items()))))
    mimetype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    check(request, ContractResponse(response.status_code, mimetype,
                                    Headers(list(response.headers.items())), response.content))


def oauth_client(served: Served, facts: dict[str, Any], **kwargs: Any) -> OAuth2Session:
    method = "client_secret_basic" if facts["client_secret"] else "none"
    session = OAuth2Session(facts["client_id"], facts["client_secret"], scope="profile",
                            redirect_uri=REDIRECT_URI, code_challenge_method="S256",
                            token_endpoint_auth_method=method, **kwargs)
    session.hooks["response"].append(contract_hook)
    return session


def authorize(served: Served, oauth: OAuth2Session, session_token: str) -> tuple[str, str]:
    """The user's side: the authorization URL visited with consent; the redirect back and
    the code verifier."""
    verifier = generate_token(48)
    url, _ = oauth.create_authorization_url(f"{served.base_url}/v2/oauth2/authorize",
                                            code_verifier=verifier)
    with httpx.Client(**served.httpx_args()) as browser:
        response = browser.get(f"{url}&grant_consent=true",
                               headers={"x-access-token": session_token})
    assert response.status_code == 302, response.text
    return response.headers["location"], verifier


def test_code_with_pkce_refresh_rotation_and_reuse_detection(
        served: Served, admin: Flask, session_token: str) -> None:
    facts = register_client(admin)
    token_url = f"{served.base_url}/v2/oauth2/token"
    with oauth_client(served, facts) as oauth:
        back, verifier = authorize(served, oauth, session_token)
        first = oauth.fetch_token(token_url, authorization_response=back,
                                  code_verifier=verifier)
        assert first["token_type"] == "bearer" and first["scope"] == "profile"
        me = oauth.get(f"{served.base_url}/v2/users/self")
        assert me.status_code == 200 and me.json()["email"] == "ada.authlib@example.com"
        second = oauth.refresh_token(token_url)
        assert second["refresh_token"] != first["refresh_token"]
        assert oauth.get(f"{served.base_url}/v2/users/self").status_code == 200
        with pytest.raises(OAuthError, match="invalid_grant"):
            oauth.refresh_token(token_url, refresh_token=first["refresh_token"])
        assert oauth.get(f"{served.base_url}/v2/users/self").status_code == 401, \
            "reusing a rotated refresh token revokes the family"


def test_a_public_client_with_pkce(served: Served, admin: Flask, session_token: str) -> None:
    facts = register_client(admin, "--public")
    with oauth_client(served, facts) as oauth:
        back, verifier = authorize(served, oauth, session_token)
        token = oauth.fetch_token(f"{served.base_url}/v2/oauth2/token",
                                  authorization_response=back, code_verifier=verifier)
        assert token["access_token"] and token["refresh_token"]


def test_password_grant_revocation_and_introspection(served: Served, admin: Flask,
                                                     session_token: str) -> None:
    facts = register_client(admin, "--grant", "password", "--grant", "refresh_token")
    base = served.base_url
    with oauth_client(served, facts) as oauth:
        token = oauth.fetch_token(f"{base}/v2/oauth2/token", grant_type="password",
                                  username="ada.authlib@example.com", password=PASSWORD)
        seen = oauth.introspect_token(f"{base}/v2/oauth2/introspect",
                                      token=token["access_token"]).json()
        assert seen["active"] is True and seen["client_id"] == facts["client_id"]
        revoked = oauth.revoke_token(f"{base}/v2/oauth2/revoke", token=token["access_token"],
                                     token_type_hint="access_token")
        assert revoked.status_code == 200
        assert oauth.introspect_token(f"{base}/v2/oauth2/introspect",
                                      token=token["access_token"]).json() == {"active": False}
        assert oauth.get(f"{base}/v2/users/self").status_code == 401


@pytest.fixture(scope="module")
def private_pem() -> str:
    return RSAKey.generate_key(2048).as_pem(private=True).decode()


def test_a_jwt_access_token_is_verified_with_the_served_jwks(
        database_url: str, _schema: None, tmp_path: Path, private_pem: str) -> None:
    config = {**NO_LIMITS, "USERCORE_OAUTH2_JWT_KEY": private_pem}
    with serve(database_url, tmp_path, **config) as running:
        with admin_app(database_url, tmp_path, **config) as admin:
            facts = register_client(admin, "--scope", "profile", "--scope", "openid")
        register_verified(running, "jwt@example.com")
        from mittwald_api_client import Client

        session = log_in(Client(base_url=running.base_url, httpx_args=running.httpx_args()),
                         "jwt@example.com").token
        with oauth_client(running, facts) as oauth:
            oauth.scope = "openid profile"
            back, verifier = authorize(running, oauth, session)
            token = oauth.fetch_token(f"{running.base_url}/v2/oauth2/token",
                                      authorization_response=back, code_verifier=verifier)
        metadata = httpx.get(f"{running.base_url}/.well-known/oauth-authorization-server/v2")
        keys = KeySet.import_key_set(httpx.get(metadata.json()["jwks_uri"]).json())
        access = jwt.decode(token["access_token"], keys, algorithms=["RS256"])
        assert access.header["typ"] == "at+jwt"
        assert access.claims["iss"] == metadata.json()["issuer"]
        assert access.claims["client_id"] == facts["client_id"]
        identity = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
        assert identity["aud"] == [facts["client_id"]] and identity["sub"] == access.claims["sub"]
