"""The mails link to the account pages when the pages are mounted (a host's own link in
``USERCORE_MAIL_LINKS`` still wins)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask

from flask_usercore.config import MAIL_LINK_FLOWS
from flask_usercore.mail import PAGE_LINKS
from tests.conftest import PASSWORD, Mailbox

VALUES = {"user_id": "0b6e4a7e-8e0b-4e55-9f0c-3c1f1a1a1a1a", "email": "a+b@example.com",
          "token": "T0k&n"}
PUBLIC = "https://app.example.com"
EXPECTED = {
    "registration": "/account/verify-email?userId=0b6e4a7e-8e0b-4e55-9f0c-3c1f1a1a1a1a"
                    "&token=T0k%26n&email=a%2Bb%40example.com",
    "password-reset": "/account/password/reset?userId=0b6e4a7e-8e0b-4e55-9f0c-3c1f1a1a1a1a"
                      "&token=T0k%26n",
    "email-change": "/account/email/confirm?userId=0b6e4a7e-8e0b-4e55-9f0c-3c1f1a1a1a1a"
                    "&token=T0k%26n",
    "email-change-notice": "/account/",
    "password-changed": "/account/",
    "mfa-reset": "/account/",
    "mfa-recovery-code-used": "/account/",
}






def test_every_mail_with_a_link_has_its_page() -> None:
    assert set(PAGE_LINKS) == set(MAIL_LINK_FLOWS) == set(EXPECTED)


@pytest.mark.parametrize("flow", sorted(EXPECTED))
def test_each_mail_links_to_its_page_below_the_public_url(
        make_app: Callable[..., Flask], flow: str) -> None:
    app = make_app({"USERCORE_PUBLIC_URL": PUBLIC}, pages=True)
    links = app.extensions["usercore"].deps.mails.links
    assert links.link(flow, VALUES) == PUBLIC + EXPECTED[flow]


def test_without_a_public_url_the_links_are_paths_at_the_pages_prefix(
        make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_PAGES": True, "USERCORE_PAGES_PREFIX": "/me"})
    links = app.extensions["usercore"].deps.mails.links
    assert links.link("password-changed", VALUES) == "/me/"
    assert links.link("password-reset", VALUES).startswith("/me/password/reset?userId=")


def test_a_host_link_wins_and_without_the_pages_there_is_none(
        make_app: Callable[..., Flask]) -> None:
    host = make_app({"USERCORE_PUBLIC_URL": PUBLIC,
                     "USERCORE_MAIL_LINKS": {"password-reset": "/reset/{token}"}}, pages=True)
    links = host.extensions["usercore"].deps.mails.links
    assert links.link("password-reset", VALUES) == f"{PUBLIC}/reset/T0k%26n"
    assert links.link("registration", VALUES) == PUBLIC + EXPECTED["registration"]
    off = make_app({"USERCORE_PUBLIC_URL": PUBLIC})
    assert off.extensions["usercore"].deps.mails.links.link("registration", VALUES) is None


def test_a_blueprint_the_host_registers_itself_sets_its_prefix(
        make_app: Callable[..., Flask]) -> None:
    from flask_usercore.pages import create_pages_blueprint

    app = make_app()
    app.register_blueprint(create_pages_blueprint(), url_prefix="/konto")
    links = app.extensions["usercore"].deps.mails.links
    assert links.link("mfa-reset", VALUES) == "/konto/"


def test_the_mails_carry_the_links(make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_PUBLIC_URL": PUBLIC}, pages=True)
    client = app.test_client()
    created = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    user_id = created.json["userId"]
    code = mailbox.last_code()
    assert f"{PUBLIC}/account/verify-email?userId={user_id}&token={code}" \
           "&email=ada%40example.com" in mailbox.sent[-1].body
    assert f'href="{PUBLIC}/account/verify-email?userId={user_id}&amp;token={code}' \
        in mailbox.sent[-1].html
    client.post("/v2/verify-registration", json={"email": "ada@example.com",
                                                 "userId": user_id, "token": code})
    client.post("/v2/users/self/credentials/actions/init-password-reset",
                json={"email": "ada@example.com"}).close()
    assert re.search(rf"{PUBLIC}/account/password/reset\?userId={user_id}&token=\w{{20}}",
                     mailbox.sent[-1].body)
