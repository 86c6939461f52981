"""Changing the e-mail address on the account pages, and the mail's confirmation link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, Mailbox
from tests.pages.page_support import field_error, forms, sign_in, submit

NEW = "ada@new.example"


def _me(client: FlaskClient) -> dict[str, Any]:
    me: dict[str, Any] = client.get("/v2/users/self").json
    return me


def _request_change(client: FlaskClient, email: str = NEW) -> Any:
    return submit(client, "/account/email", "email-form", email=email, password=PASSWORD)


def _link(user_id: str, token: str) -> str:
    return "/account/email/confirm?" + urlencode({"userId": user_id, "token": token})


def test_a_change_mails_a_code_to_the_new_address(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/email")
    assert facts["email"] in page.text
    assert "email-resend-form" not in page.text  # nothing pending
    response = _request_change(client)
    assert response.status_code == 303
    assert [mail.to for mail in mailbox.sent[-2:]] == [NEW, facts["email"]]
    shown = client.get(response.headers["Location"]).text
    assert "We sent a link" in shown
    assert NEW in shown and "email-resend-form" in shown
    assert _me(client)["email"] == facts["email"]  # until it is confirmed


def test_a_wrong_password_is_shown_next_to_its_field_and_nothing_is_mailed(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    before = len(mailbox.sent)
    response = submit(client, "/account/email", "email-form", email=NEW,
                      password="not my password 1")
    assert response.status_code == 400
    assert field_error(response.text, "password")
    assert len(mailbox.sent) == before
    assert "email-resend-form" not in client.get("/account/email").text


def test_the_api_rules_refuse_an_address_next_to_its_field(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Mailbox) -> None:
    register("grace@example.com")
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    before = len(mailbox.sent)
    for address in ("not an address", "grace@example.com", facts["email"]):
        response = _request_change(client, address)
        assert response.status_code == 400, address
        assert field_error(response.text, "email"), address
    assert len(mailbox.sent) == before


def test_the_mail_limit_applies_as_in_the_api(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_RATELIMIT_MAIL": "1/minute"}, pages=True)
    client = app.test_client()
    created = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}).json
    client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": created["userId"],
        "token": mailbox.last_code("ada@example.com")})
    sign_in(client, "ada@example.com", PASSWORD)
    assert _request_change(client).status_code == 303
    before = len(mailbox.sent)
    refused = _request_change(client)  # the second mail to that address this minute
    assert refused.status_code == 429
    assert 'id="form-errors"' in refused.text
    assert "Retry-After" in refused.headers
    assert len(mailbox.sent) == before


def test_resend_mails_a_new_code(client: FlaskClient, register: Callable[..., dict[str, Any]],
                                 mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    first = mailbox.last_code(NEW)
    response = submit(client, "/account/email", "email-resend-form")
    assert response.status_code == 303
    second = mailbox.last_code(NEW)
    assert second != first
    stale = submit(client, _link(facts["userId"], first), "email-confirm-form")
    assert stale.status_code == 400
    assert _me(client)["email"] == facts["email"]


def test_the_link_shows_a_button_and_only_its_post_confirms(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]],
        login: Callable[..., str], mailbox: Mailbox) -> None:
    facts = register()
    other = login(facts["email"])
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    link = _link(facts["userId"], mailbox.last_code(NEW))
    page = client.get(link)
    assert page.status_code == 200
    assert NEW in page.text and 'id="confirm-email"' in page.text
    assert _me(client)["email"] == facts["email"]  # a GET changes nothing
    response = submit(client, link, "email-confirm-form")
    assert response.status_code == 303
    assert "is confirmed" in client.get(response.headers["Location"]).text
    assert _me(client)["email"] == NEW
    # the other sessions ended, this one stays
    assert app.test_client().get("/v2/users/self", headers={
        "Authorization": f"Bearer {other}"}).status_code == 401


def test_a_wrong_token_changes_nothing(client: FlaskClient,
                                       register: Callable[..., dict[str, Any]],
                                       mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    response = submit(client, _link(facts["userId"], "WRONGCODE1"), "email-confirm-form")
    assert response.status_code == 400
    assert 'id="form-errors"' in response.text
    assert _me(client)["email"] == facts["email"]
    # without its CSRF token the right code changes nothing either
    fields = forms(client.get(_link(facts["userId"], mailbox.last_code(NEW))).text)[
        "email-confirm-form"]["fields"]
    del fields["csrf_token"]
    assert client.post("/account/email/confirm", data=fields).status_code == 400
    assert _me(client)["email"] == facts["email"]


def test_a_link_of_another_account_is_refused(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Mailbox) -> None:
    grace = register("grace@example.com")
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    response = submit(client, _link(grace["userId"], mailbox.last_code(NEW)),
                      "email-confirm-form")
    assert response.status_code == 403
    assert "another account" in response.text
    assert _me(client)["email"] == facts["email"]


def test_a_signed_out_visitor_signs_in_and_comes_back_to_the_link(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    link = _link(facts["userId"], mailbox.last_code(NEW))
    client.delete_cookie("x-access-token")
    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/account/sign-in?next=")
    page = client.get(response.headers["Location"])
    form = forms(page.text)["sign-in-form"]
    signed_in = client.post(form["action"], data={**form["fields"], "email": facts["email"],
                                                  "password": PASSWORD})
    assert signed_in.headers["Location"] == link
    assert re.search(r'name="token"[^>]*value="\w+"', client.get(link).text)


def test_the_page_speaks_german(client: FlaskClient,
                                register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/email", headers={"Accept-Language": "de"})
    assert "E-Mail-Adresse ändern" in page.text


def test_a_link_used_already_says_so(client: FlaskClient,
                                     register: Callable[..., dict[str, Any]],
                                     mailbox: Mailbox) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    _request_change(client)
    link = _link(facts["userId"], mailbox.last_code(NEW))
    assert submit(client, link, "email-confirm-form").status_code == 303
    again = client.get(link)
    assert again.status_code == 200
    assert 'id="nothing-pending"' in again.text
    assert "email-confirm-form" not in again.text


def test_the_mails_link_leads_to_the_confirmation_page(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_PUBLIC_URL": "http://localhost", "USERCORE_MAIL_LINKS": {
        "email-change": "/account/email/confirm?userId={user_id}&token={token}"}}, pages=True)
    client = app.test_client()
    created = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}).json
    client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": created["userId"],
        "token": mailbox.last_code("ada@example.com")})
    sign_in(client, "ada@example.com", PASSWORD)
    _request_change(client)
    match = re.search(r"Confirm the change: (\S+)", mailbox.sent[-2].body)
    assert match, mailbox.sent[-2].body
    link = match.group(1).removeprefix("http://localhost")
    assert link.startswith("/account/email/confirm?userId=")
    assert submit(client, link, "email-confirm-form").status_code == 303
    assert _me(client)["email"] == NEW
