"""Deleting the account on the account pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, enable_mfa
from tests.pages.page_support import field_error, forms, sign_in, submit


def _exists(app: Flask, email: str) -> bool:
    response = app.test_client().post("/v2/authenticate",
                                      json={"email": email, "password": PASSWORD})
    return response.status_code in (200, 202)


def test_the_account_is_deleted_and_the_cookie_cleared(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    assert 'id="multiFactorCode"' not in client.get("/account/delete").text
    response = submit(client, "/account/delete", "delete-form", password=PASSWORD,
                      confirm="y")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/deleted"
    assert "x-access-token=;" in response.headers["Set-Cookie"]
    page = client.get("/account/deleted")
    assert page.status_code == 200
    assert "Your account is deleted" in page.text
    assert not _exists(app, facts["email"])
    assert client.get("/account/").status_code == 303  # signed out


def test_without_the_checkbox_nothing_is_deleted(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/delete", "delete-form", password=PASSWORD)
    assert response.status_code == 400
    assert field_error(response.text, "confirm")
    assert _exists(app, facts["email"])


def test_a_wrong_password_is_shown_next_to_its_field(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/delete", "delete-form",
                      password="not my password 1", confirm="y")
    assert response.status_code == 400
    assert field_error(response.text, "password")
    assert "Set-Cookie" not in response.headers or \
        "x-access-token=;" not in response.headers["Set-Cookie"]
    assert _exists(app, facts["email"])


def test_with_mfa_on_the_code_is_needed(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    secret = enable_mfa(app, facts["userId"])
    assert 'id="multiFactorCode"' in client.get("/account/delete").text
    missing = submit(client, "/account/delete", "delete-form", password=PASSWORD,
                     confirm="y")
    assert missing.status_code == 400
    assert field_error(missing.text, "multiFactorCode")
    assert _exists(app, facts["email"])
    done = submit(client, "/account/delete", "delete-form", password=PASSWORD, confirm="y",
                  multiFactorCode=pyotp.TOTP(secret).now())
    assert done.status_code == 303
    assert not _exists(app, facts["email"])


def test_a_form_without_its_csrf_token_deletes_nothing(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    fields = forms(client.get("/account/delete").text)["delete-form"]["fields"]
    del fields["csrf_token"]
    response = client.post("/account/delete", data={**fields, "password": PASSWORD,
                                                     "confirm": "y"})
    assert response.status_code == 400
    assert _exists(app, facts["email"])


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    for url in ("/account/delete", "/account/mfa", "/account/email"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/account/sign-in?next={url}"
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 303


def test_the_page_speaks_german(client: FlaskClient,
                                register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/delete", headers={"Accept-Language": "de"})
    assert "Konto löschen" in page.text
