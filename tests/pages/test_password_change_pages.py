"""Changing the password on the account page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, Mailbox, enable_mfa
from tests.pages.page_support import field_error, forms, sign_in, submit

NEW = "a completely new passphrase 42"


def _api_login(client: FlaskClient, email: str, password: str) -> int:
    response = client.post("/v2/authenticate", json={"email": email, "password": password})
    return response.status_code


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in?next=/account/password"


def test_the_password_changes_and_the_other_sessions_end(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]],
        login: Callable[..., str], mailbox: Mailbox) -> None:
    facts = register()
    other = login(facts["email"])  # another device
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/password")
    assert 'id="multiFactorCode"' not in page.text  # no MFA: no code field
    response = submit(client, "/account/password", "password-form", oldPassword=PASSWORD,
                      newPassword=NEW)
    assert response.status_code == 303, response.text
    assert "x-access-token=" in response.headers["Set-Cookie"]  # this session is replaced
    assert "Your password is changed." in client.get(response.headers["Location"]).text
    assert client.get("/v2/users/self").status_code == 200  # still signed in here
    third = app.test_client()
    assert third.get("/v2/users/self",
                     headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert _api_login(third, facts["email"], PASSWORD) == 401
    assert _api_login(third, facts["email"], NEW) == 200
    assert mailbox.sent[-1].to == facts["email"]  # the "password changed" mail
    assert "password" in mailbox.sent[-1].subject.lower()


def test_a_wrong_current_password_is_shown_next_to_its_field(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/password", "password-form",
                      oldPassword="not my password 1", newPassword=NEW)
    assert response.status_code == 400
    assert field_error(response.text, "oldPassword")
    assert _api_login(app.test_client(), facts["email"], NEW) == 401


def test_the_policy_refuses_a_weak_password_next_to_its_field(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    for weak in ("short", PASSWORD):  # too short; the same as the old one
        response = submit(client, "/account/password", "password-form",
                          oldPassword=PASSWORD, newPassword=weak)
        assert response.status_code == 400, weak
        assert field_error(response.text, "newPassword"), weak
        assert 'aria-invalid="true"' in response.text
    assert _api_login(app.test_client(), facts["email"], PASSWORD) == 200


def test_with_mfa_on_the_code_is_asked_for_and_checked(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    secret = enable_mfa(app, facts["userId"])
    page = client.get("/account/password").text
    code = re.search(r'<input[^>]*id="multiFactorCode"[^>]*>', page)
    assert code and "required" not in code.group(0)  # optional: not marked required
    assert re.search(r'<input[^>]*id="oldPassword"[^>]*required', page)
    missing = submit(client, "/account/password", "password-form", oldPassword=PASSWORD,
                     newPassword=NEW)
    assert missing.status_code == 400
    assert field_error(missing.text, "multiFactorCode")
    wrong = submit(client, "/account/password", "password-form", oldPassword=PASSWORD,
                   newPassword=NEW, multiFactorCode="000000")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "multiFactorCode")
    assert _api_login(app.test_client(), facts["email"], PASSWORD) == 202  # unchanged
    right = submit(client, "/account/password", "password-form", oldPassword=PASSWORD,
                   newPassword=NEW, multiFactorCode=pyotp.TOTP(secret).now())
    assert right.status_code == 303
    assert _api_login(app.test_client(), facts["email"], NEW) == 202


def test_a_form_without_its_csrf_token_changes_nothing(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    fields = forms(client.get("/account/password").text)["password-form"]["fields"]
    del fields["csrf_token"]
    response = client.post("/account/password", data={**fields, "oldPassword": PASSWORD,
                                                       "newPassword": NEW})
    assert response.status_code == 400
    assert 'id="form-errors"' in response.text
    assert _api_login(app.test_client(), facts["email"], PASSWORD) == 200


def test_the_page_speaks_german(client: FlaskClient,
                                register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/password", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in page.text
    assert "Passwort ändern" in page.text
    assert "Aktuelles Passwort" in page.text
