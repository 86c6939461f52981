"""Forgetting and resetting the password on the account pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, Mailbox
from tests.pages.page_support import field_error, forms, submit

NEW_PASSWORD = "a brand new passphrase 42"


def _reset_link(mailbox: Mailbox) -> str:
    found = re.search(r"Set a new password: (\S+)", mailbox.sent[-1].body)
    assert found, mailbox.sent[-1].body
    return found.group(1)


def _forgot(client: FlaskClient, email: str) -> Any:
    response = submit(client, "/account/password/forgot", "forgot-password-form",
                      email=email)
    response.close()  # the mail is made once the answer was sent
    return response


def test_forgot_then_the_mails_link_sets_a_new_password(
        client: FlaskClient, mailbox: Mailbox,
        register: Callable[..., dict[str, Any]], login: Callable[..., str]) -> None:
    facts = register()
    token = login(facts["email"])
    sent = _forgot(client, facts["email"])
    assert sent.status_code == 303
    assert "If an account has this address" in client.get(sent.headers["Location"]).text
    link = _reset_link(mailbox)
    assert link.startswith(f"/account/password/reset?userId={facts['userId']}&token=")
    page = client.get(link)
    assert page.status_code == 200
    form = forms(page.text)["reset-password-form"]
    assert form["fields"]["userId"] == facts["userId"] and len(form["fields"]["token"]) == 20
    done = client.post(form["action"], data={**form["fields"], "password": NEW_PASSWORD})
    assert done.status_code == 303
    assert "Your new password is set" in client.get(done.headers["Location"]).text
    assert client.post("/v2/authenticate", json={
        "email": facts["email"], "password": NEW_PASSWORD}).status_code == 200
    assert client.get("/v2/users/self",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401, \
        "every session ended"


def test_the_answer_is_the_same_for_an_unknown_address(
        client: FlaskClient, mailbox: Mailbox,
        register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    before = len(mailbox.sent)
    known = _forgot(client, facts["email"])
    unknown = _forgot(client, "nobody@example.com")
    assert (known.status_code, known.headers["Location"]) == \
        (unknown.status_code, unknown.headers["Location"])
    assert client.get(known.headers["Location"]).text == \
        client.get(unknown.headers["Location"]).text
    assert [mail.to for mail in mailbox.sent[before:]] == [facts["email"]]


def test_a_bad_address_is_refused_on_its_field(client: FlaskClient, mailbox: Mailbox) -> None:
    response = _forgot(client, "not an address")
    assert response.status_code == 400 and field_error(response.text, "email")
    assert not mailbox.sent


def test_forgot_counts_against_the_mail_throttle(make_app: Callable[..., Flask],
                                                 mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_RATELIMIT_MAIL": "1/hour"}, pages=True)
    client = app.test_client()
    assert _forgot(client, "nobody@example.com").status_code == 303
    again = _forgot(client, "NOBODY@example.com")
    assert again.status_code == 429 and 'id="form-errors"' in again.text


def test_the_policy_refuses_a_weak_password_next_to_the_field_and_the_code_still_works(
        client: FlaskClient, mailbox: Mailbox,
        register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    _forgot(client, facts["email"])
    form = forms(client.get(_reset_link(mailbox)).text)["reset-password-form"]
    weak = client.post(form["action"], data={**form["fields"], "password": "aaaa"})
    assert weak.status_code == 400 and field_error(weak.text, "password")
    assert client.post("/v2/authenticate", json={
        "email": facts["email"], "password": PASSWORD}).status_code == 200, "unchanged"
    wrong = client.post(form["action"], data={**form["fields"], "token": "x" * 20,
                                              "password": NEW_PASSWORD})
    assert wrong.status_code == 400 and field_error(wrong.text, "token")
    short = client.post(form["action"], data={**form["fields"], "token": "abc",
                                              "password": NEW_PASSWORD})
    assert short.status_code == 400 and field_error(short.text, "token")
    right = client.post(form["action"], data={**form["fields"], "password": NEW_PASSWORD})
    assert right.status_code == 303


def test_a_reset_without_its_csrf_token_is_refused(
        client: FlaskClient, mailbox: Mailbox,
        register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    _forgot(client, facts["email"])
    form = forms(client.get(_reset_link(mailbox)).text)["reset-password-form"]
    fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
    refused = client.post(form["action"], data={**fields, "password": NEW_PASSWORD})
    assert refused.status_code == 400
    assert client.post("/v2/authenticate", json={
        "email": facts["email"], "password": PASSWORD}).status_code == 200


def test_the_reset_page_is_german_for_a_german_browser(client: FlaskClient) -> None:
    page = client.get("/account/password/forgot", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in page.text and "Passwort vergessen?" in page.text


def test_the_reset_mail_made_after_the_answer_speaks_the_requests_language(
        client: FlaskClient, mailbox: Mailbox,
        register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    page = client.get("/account/password/forgot", headers={"Accept-Language": "de"})
    form = forms(page.text)["forgot-password-form"]
    sent = client.post(form["action"], data={**form["fields"], "email": facts["email"]},
                       headers={"Accept-Language": "de"})
    sent.close()  # the mail is made once the answer was sent
    mail = mailbox.sent[-1]
    assert mail.subject != "" and "Passwort" in mail.subject, mail.subject
    assert '<html lang="de">' in mail.html
