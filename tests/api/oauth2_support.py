"""Helpers of the OAuth2 API tests: register a client, PKCE pairs, the authorize step."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask

from flask_usercore.oauth2.clients import create_client
from flask_usercore.services.context import commit

REDIRECT_URI = "http://127.0.0.1:8765/callback"


def new_client(app: Flask, *, public: bool = False, scopes: tuple[str, ...] = ("profile",),
               grant_types: tuple[str, ...] = ("authorization_code", "refresh_token"),
               redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
               name: str = "Example App") -> tuple[str, str | None]:
    """Register a client; its ``(client_id, client_secret)``."""
    with app.app_context():
        deps = app.extensions["usercore"].deps
        new = create_client(deps, name=name, redirect_uris=redirect_uris, scopes=scopes,
                            grant_types=grant_types, public=public)
        client_id, secret = new.client.client_id, new.client_secret
        commit(deps.session)
    return client_id, secret


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect's ``Location`` (one value each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_params(client_id: str, challenge: str | None = None,
                     **extra: Any) -> dict[str, Any]:
    """The query of an authorization request (PKCE S256 when ``challenge`` is given)."""
    params: dict[str, Any] = {"response_type": "code", "client_id": client_id,
                              "redirect_uri": REDIRECT_URI, "scope": "profile",
                              "state": "st-123"}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def code_for(client: Any, client_id: str, headers: dict[str, str],
             challenge: str | None = None, **extra: Any) -> str:
    """An authorization code, consent given with ``grant_consent=true`` and a header token."""
    response = client.get("/v2/oauth2/authorize", headers=headers, query_string=authorize_params(
        client_id, challenge, grant_consent="true", **extra))
    assert response.status_code == 302, response.data
    return query_of(response.headers["Location"])["code"]


def exchange(client: Any, client_id: str, secret: str | None, code: str,
             verifier: str | None = None, **extra: Any) -> Any:
    """``POST /v2/oauth2/token`` for an authorization code (Basic auth when ``secret``)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            **extra}
    if verifier:
        data["code_verifier"] = verifier
    if secret is None:
        data["client_id"] = client_id
        return client.post("/v2/oauth2/token", data=data)
    return client.post("/v2/oauth2/token", data=data, auth=(client_id, secret))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_real_client(case: Any, client_id: str, secret: str | None, email: str,
                     password: str) -> None:
    """Swap a real client (its redirect URI, a scope it may have) into a schemathesis case
    of an OAuth2 operation, so that fuzzing reaches past ``invalid_client``; a token request
    becomes the password grant of ``email`` (tests/test_openapi_oauth2.py, .ci/fuzz.py)."""
    if isinstance(case.query, dict) and "response_type" in case.query:
        case.query.update(client_id=client_id, redirect_uri=REDIRECT_URI, scope="profile")
    if isinstance(case.body, dict):
        case.body["client_id"] = client_id
        if secret is not None:
            case.body["client_secret"] = secret
        if isinstance(case.headers, dict):  # HTTP Basic too would be two credentials
            case.headers.pop("Authorization", None)
        if "grant_type" in case.body:
            case.body.update(grant_type="password", username=email, password=password,
                             client_secret=secret, scope="profile")
            case.body.pop("multi_factor_code", None)
