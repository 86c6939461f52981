"""Signing in and out on the account pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, enable_mfa
from tests.pages.page_support import field_error, forms, sign_in, submit


def test_a_visitor_is_sent_to_sign_in_with_next(client: FlaskClient) -> None:
    response = client.get("/account/profile")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in?next=/account/profile"


def test_sign_in_sets_the_session_cookie_and_goes_on_to_next(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    page = client.get("/account/sign-in?next=/account/profile")
    form = forms(page.text)["sign-in-form"]
    response = client.post(form["action"], data={**form["fields"], "email": facts["email"],
                                                 "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"
    assert "x-access-token=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert client.get("/account/profile").status_code == 200
    # the API understands the same cookie
    assert client.get("/v2/users/self").json["email"] == facts["email"]


def test_next_never_leaves_the_site(client: FlaskClient,
                                    register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = client.get("/account/sign-in", query_string={"next": target})
        form = forms(page.text)["sign-in-form"]
        response = client.post(form["action"], data={**form["fields"], "email": facts["email"],
                                                     "password": PASSWORD})
        assert response.headers["Location"] == "/account/", target
        client.delete_cookie("x-access-token")


def test_a_wrong_password_shows_the_form_again(client: FlaskClient,
                                               register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    response = submit(client, "/account/sign-in", "sign-in-form", email=facts["email"],
                      password="wrong password 1")
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "x-access-token" not in response.headers.get("Set-Cookie", "")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_form_without_its_csrf_token_is_refused(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    client.get("/account/sign-in")
    response = client.post("/account/sign-in", data={"email": facts["email"],
                                                     "password": PASSWORD})
    assert response.status_code == 400
    assert "x-access-token" not in response.headers.get("Set-Cookie", "")


def test_mfa_asks_for_the_code_then_signs_in(app: Flask, client: FlaskClient,
                                             register: Callable[..., dict[str, Any]]) -> None:
    import pyotp

    facts = register()
    secret = enable_mfa(app, facts["userId"])
    first = submit(client, "/account/sign-in", "sign-in-form", email=facts["email"],
                   password=PASSWORD)
    assert first.status_code == 200
    assert 'id="multiFactorCode"' in first.text
    fields = forms(first.text)["sign-in-form"]["fields"]
    wrong = client.post("/account/sign-in", data={**fields, "email": facts["email"],
                                                  "password": PASSWORD,
                                                  "multiFactorCode": "000000"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "multiFactorCode")
    right = client.post("/account/sign-in", data={
        **fields, "email": facts["email"], "password": PASSWORD,
        "multiFactorCode": pyotp.TOTP(secret).now()})
    assert right.status_code == 303


def test_sign_out_ends_the_session(client: FlaskClient,
                                   register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/", "sign-out-form")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    assert client.get("/account/").status_code == 303


def test_the_page_is_german_for_a_german_browser(client: FlaskClient) -> None:
    page = client.get("/account/sign-in", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in page.text
    assert "Anmelden" in page.text
