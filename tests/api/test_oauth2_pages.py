"""The login and consent pages of the authorization flow: templates, CSRF, no script."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.oauth2_support import authorize_params, new_client, query_of
from tests.conftest import PASSWORD, enable_mfa


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _open(client: FlaskClient, path: str) -> tuple[Any, str]:
    response = client.get(path)
    assert response.status_code == 200, response.data
    return response, response.get_data(as_text=True)


@pytest.fixture
def client_id(app: Flask) -> str:
    return new_client(app, name="Photo <Printer>")[0]


def _login_url(client: FlaskClient, client_id: str) -> str:
    response = client.get("/v2/oauth2/authorize", query_string=authorize_params(client_id))
    location: str = response.headers["Location"]
    assert location.startswith("/v2/oauth2/login?")
    return location


def test_login_then_consent_ends_in_the_redirect_with_a_code(
        client: FlaskClient, client_id: str, user: dict[str, Any]) -> None:
    login_url = _login_url(client, client_id)
    page, html = _open(client, login_url)
    assert "Photo &lt;Printer&gt;" in html and "<script" not in html.lower()
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "form-action 'self' http://127.0.0.1:*;" in csp  # a loopback URI's port is any
    signed_in = client.post(login_url, data={"csrf_token": _csrf(html), "email": user["email"],
                                             "password": PASSWORD})
    assert signed_in.status_code == 303
    assert "x-access-token=" in signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in signed_in.headers["Set-Cookie"]
    onward = client.get(signed_in.headers["Location"])
    assert onward.headers["Location"].startswith("/v2/oauth2/consent?")
    page, html = _open(client, onward.headers["Location"])
    assert 'data-scope="profile"' in html and user["email"] in html
    allowed = client.post(onward.headers["Location"],
                          data={"csrf_token": _csrf(html), "decision": "allow"})
    assert allowed.status_code == 302
    query = query_of(allowed.headers["Location"])
    assert query["state"] == "st-123" and query["code"]
    again = client.get("/v2/oauth2/authorize", query_string=authorize_params(client_id))
    assert "code" in query_of(again.headers["Location"]), "the consent was not stored"


def test_deny_redirects_with_access_denied(client: FlaskClient, client_id: str,
                                           user: dict[str, Any]) -> None:
    client.set_cookie("x-access-token", user["token"])
    consent_url = client.get("/v2/oauth2/authorize",
                             query_string=authorize_params(client_id)).headers["Location"]
    _, html = _open(client, consent_url)
    denied = client.post(consent_url, data={"csrf_token": _csrf(html), "decision": "deny"})
    assert query_of(denied.headers["Location"])["error"] == "access_denied"


def test_a_form_without_the_csrf_token_of_this_browser_is_refused(
        client: FlaskClient, client_id: str, user: dict[str, Any]) -> None:
    login_url = _login_url(client, client_id)
    _, html = _open(client, login_url)
    token = _csrf(html)
    for data, cookie in (({}, True), ({"csrf_token": "forged"}, True),
                         ({"csrf_token": token}, False)):
        if not cookie:
            client.delete_cookie("usercore_oauth2_csrf")
        response = client.post(login_url, data={**data, "email": user["email"],
                                                "password": PASSWORD})
        assert response.status_code == 400, (data, cookie)
        assert "Set-Cookie" not in response.headers or \
            "x-access-token" not in response.headers["Set-Cookie"]


def test_a_form_from_another_origin_is_refused(client: FlaskClient, client_id: str,
                                               user: dict[str, Any]) -> None:
    login_url = _login_url(client, client_id)
    _, html = _open(client, login_url)
    response = client.post(login_url, headers={"Origin": "https://evil.example"},
                           data={"csrf_token": _csrf(html), "email": user["email"],
                                 "password": PASSWORD})
    assert response.status_code == 400


def test_a_wrong_password_shows_the_form_again(client: FlaskClient, client_id: str,
                                               user: dict[str, Any]) -> None:
    login_url = _login_url(client, client_id)
    _, html = _open(client, login_url)
    response = client.post(login_url, data={"csrf_token": _csrf(html), "email": user["email"],
                                            "password": "wrong password 123"})
    assert response.status_code == 401
    assert 'role="alert"' in response.get_data(as_text=True)
    assert "x-access-token" not in response.headers.get("Set-Cookie", "")


def test_mfa_asks_for_the_code_then_signs_in(app: Flask, client: FlaskClient, client_id: str,
                                             user: dict[str, Any]) -> None:
    import pyotp

    secret = enable_mfa(app, user["userId"])
    login_url = _login_url(client, client_id)
    _, html = _open(client, login_url)
    first = client.post(login_url, data={"csrf_token": _csrf(html), "email": user["email"],
                                         "password": PASSWORD})
    assert first.status_code == 200 and 'name="multi_factor_code"' in first.get_data(
        as_text=True)
    second = client.post(login_url, data={
        "csrf_token": _csrf(first.get_data(as_text=True)), "email": user["email"],
        "password": PASSWORD, "multi_factor_code": pyotp.TOTP(secret).now()})
    assert second.status_code == 303


def test_a_host_template_replaces_ours(make_app: Any, tmp_path: Any) -> None:
    folder = tmp_path / "templates" / "usercore" / "oauth2"
    folder.mkdir(parents=True)
    (folder / "login.html").write_text("<p>host login for {{ client.name }}</p>"
                                       '<input name="csrf_token" value="{{ csrf_token }}">')
    app = make_app()
    app.template_folder = str(tmp_path / "templates")
    client_id, _ = new_client(app)
    client = app.test_client()
    _, html = _open(client, _login_url(client, client_id))
    assert html.startswith("<p>host login for Example App")


def test_pages_of_an_unknown_client_are_a_400(client: FlaskClient) -> None:
    response = client.get("/v2/oauth2/login", query_string=authorize_params("nobody"))
    assert response.status_code == 400 and response.json["error"] == "invalid_request"
