"""Signing up and verifying the e-mail address on the account pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore.models import User
from tests.conftest import PASSWORD, Mailbox
from tests.pages.page_support import field_error, forms, submit

EMAIL = "grace@example.com"


def _users(app: Flask) -> int:
    with app.app_context():
        db = app.extensions["usercore"].core.db
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def _link(mailbox: Mailbox) -> str:
    found = re.search(r"Verify your registration: (\S+)", mailbox.sent[-1].body)
    assert found, mailbox.sent[-1].body
    return found.group(1)


def _sign_up(client: FlaskClient, **values: Any) -> Any:
    return submit(client, "/account/sign-up", "sign-up-form", **{
        "firstName": "Grace", "lastName": "Hopper", "email": EMAIL, "password": PASSWORD,
        **values})


def test_sign_up_then_the_mails_link_verifies_the_address(
        app: Flask, client: FlaskClient, mailbox: Mailbox) -> None:
    response = _sign_up(client)
    assert response.status_code == 303, response.text
    assert response.headers["Location"].startswith("/account/verify-email?userId=")
    check = client.get(response.headers["Location"])
    assert "Check your mail" in check.text
    assert 'id="resend-email-form"' in check.text
    link = _link(mailbox)
    assert link.startswith("/account/verify-email?userId=") and "&token=" in link
    page = client.get(link)
    assert page.status_code == 200
    with app.app_context():
        user = app.extensions["usercore"].core.db.session.scalars(select(User)).one()
        assert user.email_verified_at is None, "a GET changes nothing"
    form = forms(page.text)["verify-email-form"]
    assert form["fields"]["email"] == EMAIL and form["fields"]["token"]
    done = client.post(form["action"], data=form["fields"])
    assert done.status_code == 303
    assert "Your e-mail address is verified." in client.get(done.headers["Location"]).text
    signed_in = client.post("/v2/authenticate", json={"email": EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 200
    with app.app_context():
        user = app.extensions["usercore"].core.db.session.scalars(select(User)).one()
        assert user.email_verified_at is not None
        assert (user.first_name, user.last_name) == ("Grace", "Hopper")


def test_the_api_rules_refuse_bad_input_next_to_the_field(app: Flask,
                                                          client: FlaskClient) -> None:
    weak = _sign_up(client, password="aaaa")
    assert weak.status_code == 400
    assert field_error(weak.text, "password")
    bad_name = _sign_up(client, firstName="Gr\x07ace")
    assert bad_name.status_code == 400 and field_error(bad_name.text, "firstName")
    bad_address = _sign_up(client, email="not an address")
    assert bad_address.status_code == 400 and field_error(bad_address.text, "email")
    assert _users(app) == 0, "nothing written"


def test_an_address_in_use_is_refused_on_its_field(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    register(EMAIL)
    taken = _sign_up(client)
    assert taken.status_code == 400 and field_error(taken.text, "email")
    assert _users(app) == 1


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    client.get("/account/sign-up")
    response = client.post("/account/sign-up", data={
        "firstName": "Grace", "lastName": "Hopper", "email": EMAIL, "password": PASSWORD})
    assert response.status_code == 400 and 'id="form-errors"' in response.text
    assert _users(app) == 0


def test_sign_up_shares_the_registration_rate_limit(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_RATELIMIT_AUTH": "1/hour"}, pages=True)
    client = app.test_client()
    assert _sign_up(client).status_code == 303
    again = _sign_up(client, email="other@example.com")
    assert again.status_code == 429 and again.headers["Retry-After"]
    assert client.post("/v2/register", json={
        "email": "third@example.com", "password": PASSWORD,
        "person": {"firstName": "A", "lastName": "B"}}).status_code == 429


def test_a_signed_in_visitor_goes_to_the_account(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    from tests.pages.page_support import sign_in

    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/sign-up")
    assert page.status_code == 303 and page.headers["Location"] == "/account/"


def test_a_wrong_code_is_refused_on_its_field_and_nothing_changes(
        app: Flask, client: FlaskClient, mailbox: Mailbox) -> None:
    _sign_up(client)
    link = _link(mailbox)
    page = client.get(link)
    form = forms(page.text)["verify-email-form"]
    wrong = client.post(form["action"], data={**form["fields"], "token": "000000"})
    assert wrong.status_code == 400 and field_error(wrong.text, "token")
    nobody = client.post(form["action"], data={**form["fields"], "userId": str(uuid.uuid4())})
    assert nobody.status_code == 404 and 'id="form-errors"' in nobody.text
    forged = client.post(form["action"], data={**form["fields"], "userId": "forged"})
    assert forged.status_code == 400 and 'id="form-errors"' in forged.text
    with app.app_context():
        user = app.extensions["usercore"].core.db.session.scalars(select(User)).one()
        assert user.email_verified_at is None
    right = client.post(form["action"], data=form["fields"])
    assert right.status_code == 303


def test_the_mail_is_sent_again_and_the_first_code_stops_working(
        client: FlaskClient, mailbox: Mailbox) -> None:
    first = _sign_up(client)
    first_link = _link(mailbox)
    response = submit(client, first.headers["Location"], "resend-email-form",
                      **{"resend-email": EMAIL})
    assert response.status_code == 303, response.text
    assert len(mailbox.sent) == 2
    old = forms(client.get(first_link).text)["verify-email-form"]
    assert client.post(old["action"], data=old["fields"]).status_code == 400
    new = forms(client.get(_link(mailbox)).text)["verify-email-form"]
    assert client.post(new["action"], data=new["fields"]).status_code == 303


def test_sending_again_counts_against_the_mail_throttle(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_RATELIMIT_MAIL": "1/hour"}, pages=True)
    client = app.test_client()
    first = _sign_up(client)
    assert submit(client, first.headers["Location"], "resend-email-form",
                  **{"resend-email": EMAIL}).status_code == 303
    again = submit(client, first.headers["Location"], "resend-email-form",
                   **{"resend-email": EMAIL})
    assert again.status_code == 429 and 'id="form-errors"' in again.text
    assert len(mailbox.sent) == 2


def test_nothing_pending_is_refused_above_the_form(client: FlaskClient,
                                                   mailbox: Mailbox) -> None:
    first = _sign_up(client)
    other = submit(client, first.headers["Location"], "resend-email-form",
                   **{"resend-email": "someone@example.com"})
    assert other.status_code == 412 and 'id="form-errors"' in other.text
    assert len(mailbox.sent) == 1


def test_the_pages_are_german_for_a_german_browser(client: FlaskClient) -> None:
    german = {"Accept-Language": "de"}
    page = client.get("/account/sign-up", headers=german)
    assert '<html lang="de">' in page.text and "Registrieren" in page.text
    assert "Vorname" in page.text
    verify = client.get("/account/verify-email", headers=german)
    assert "E-Mail-Adresse bestätigen" in verify.text


def test_a_verification_without_its_csrf_token_is_refused(
        app: Flask, client: FlaskClient, mailbox: Mailbox) -> None:
    _sign_up(client)
    form = forms(client.get(_link(mailbox)).text)["verify-email-form"]
    fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
    refused = client.post(form["action"], data=fields)
    assert refused.status_code == 400 and 'id="form-errors"' in refused.text
    with app.app_context():
        user = app.extensions["usercore"].core.db.session.scalars(select(User)).one()
        assert user.email_verified_at is None
