"""Cookie sessions (``?cookieOnly=true``): usable, endable, and safe against cross-site use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient


def cookie_login(client: FlaskClient, user: dict[str, Any]) -> str:
    response = client.post("/v2/authenticate?cookieOnly=true",
                           json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 204
    [header] = response.headers.getlist("Set-Cookie")
    return header


def test_the_cookie_has_max_age_httponly_and_samesite(app: Flask, client: FlaskClient,
                                                      user: dict[str, Any]) -> None:
    header = cookie_login(client, user)
    ttl = app.extensions["usercore"].config.access_token_ttl
    assert f"Max-Age={ttl}" in header
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # plain http here


def test_the_cookie_is_secure_over_https(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.post("/v2/authenticate?cookieOnly=true", base_url="https://localhost",
                           json={"email": user["email"], "password": user["password"]})
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_cookie_authenticates_reads(client: FlaskClient, user: dict[str, Any]) -> None:
    cookie_login(client, user)
    response = client.get("/v2/users/self")
    assert response.status_code == 200
    assert response.json["email"] == user["email"]


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_cross_site_change_with_the_cookie_alone_is_refused(
        client: FlaskClient, user: dict[str, Any], headers: dict[str, str]) -> None:
    cookie_login(client, user)
    response = client.put("/v2/users/self", json={"company": "Evil"}, headers=headers)
    assert response.status_code == 403
    assert response.json["type"] == "Forbidden"
    assert client.get("/v2/users/self").json.get("company") is None


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"},
                                     {"Sec-Fetch-Site": "same-origin"}])
def test_a_same_origin_change_with_the_cookie_works(client: FlaskClient, user: dict[str, Any],
                                                    headers: dict[str, str]) -> None:
    cookie_login(client, user)
    response = client.put("/v2/users/self", json={"company": "ACME"}, headers=headers)
    assert response.status_code == 204
    assert client.get("/v2/users/self").json["company"] == "ACME"


def test_a_configured_trusted_origin_may_change(make_app: Callable[..., Flask],
                                                user: dict[str, Any]) -> None:
    client = make_app({"USERCORE_TRUSTED_ORIGINS": ["https://app.example.com"]}).test_client()
    cookie_login(client, user)
    trusted = client.put("/v2/users/self", json={"company": "ACME"},
                         headers={"Origin": "https://app.example.com"})
    assert trusted.status_code == 204
    other = client.put("/v2/users/self", json={"company": "Evil"},
                       headers={"Origin": "https://app.example.com.evil.example"})
    assert other.status_code == 403


def test_logout_with_the_cookie_ends_the_session_and_clears_the_cookie(
        client: FlaskClient, user: dict[str, Any]) -> None:
    cookie_login(client, user)
    response = client.put("/v2/logout", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 204
    cleared = response.headers["Set-Cookie"]
    assert cleared.startswith("x-access-token=;") and "Max-Age=0" in cleared
    assert client.get_cookie("x-access-token") is None
    assert client.get("/v2/users/self").status_code == 401


def test_a_header_token_needs_no_origin(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.put("/v2/users/self", json={"company": "ACME"}, headers={
        **user["headers"], "Origin": "https://evil.example"})
    assert response.status_code == 204  # not a browser's ambient credential


def test_cookie_auth_can_be_switched_off(make_app: Callable[..., Flask],
                                         user: dict[str, Any]) -> None:
    app = make_app({"USERCORE_COOKIE_AUTH": False})
    client = app.test_client()
    client.set_cookie("x-access-token", user["token"])
    assert client.get("/v2/users/self").status_code == 401
