"""Mails link where the host wants: the API under the prefix it is mounted at,
``USERCORE_PUBLIC_URL``, and the per-mail link templates of ``USERCORE_MAIL_LINKS``, all
built in one place (``flask_usercore/mail.py``, ``MailLinks``) and checked at start-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import ConfigError, UserCore
from flask_usercore.config import MAIL_LINK_FLOWS, load_config
from flask_usercore.mail import MailLinks
from tests.conftest import FAST_ARGON2, PASSWORD, Mailbox

SECRET = "a-secret-of-more-than-16-characters"
USER_ID = "0b0b0b0b-0000-4000-8000-000000000000"
#: Every mail with what its templates need.
CONTEXTS: dict[str, dict[str, Any]] = {
    "registration": {"code": "12345678"},
    "email-change": {"code": "87654321", "new_email": "new@example.com"},
    "password-reset": {"token": "AbCdEfGhIjKlMnOpQrSt", "minutes": 60},
    "email-change-notice": {"new_email": "new@example.com"},
    "password-changed": {"how": "reset"},
    "mfa-reset": {},
    "mfa-recovery-code-used": {"remaining": 2},
}
#: The mails that name an API call when the host gives no link, and the call.
API_CALLS = {
    "registration": "POST {}/verify-registration",
    "email-change": "POST {}/users/self/credentials/email/actions/verify-email",
    "password-reset": "POST {}/users/self/credentials/password/confirm-reset",
    "mfa-reset": "POST {}/users/self/credentials/init-mfa",
    "mfa-recovery-code-used": "PUT {}/users/self/credentials/mfa",
}


class Person:
    id = USER_ID
    email = "ada+test@example.com"
    first_name = "Ada"


def render(app: Flask, name: str) -> Any:
    with app.app_context():
        return app.extensions["usercore"].deps.mails.render(
            name, Person.email, user=Person(), **CONTEXTS[name])


def test_every_mail_with_a_link_has_a_context_here() -> None:
    assert set(CONTEXTS) == set(MAIL_LINK_FLOWS)


@pytest.mark.parametrize("name", sorted(API_CALLS))
def test_api_calls_are_named_under_the_configured_prefix(make_app: Callable[..., Flask],
                                                         name: str) -> None:
    app = make_app({"USERCORE_URL_PREFIX": "/api/users"})
    mail = render(app, name)
    assert API_CALLS[name].format("/api/users") in mail.body
    assert "/v2/" not in mail.body and "/v2/" not in (mail.html or "")


def test_the_default_prefix_is_unchanged(app: Flask) -> None:
    assert "POST /v2/verify-registration" in render(app, "registration").body


def test_the_public_url_makes_api_addresses_absolute(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_PUBLIC_URL": "https://id.example.com",
                    "USERCORE_URL_PREFIX": "/api/users"})
    assert ("POST https://id.example.com/api/users/users/self/credentials/password/"
            "confirm-reset") in render(app, "password-reset").body


def test_a_blueprint_the_host_registers_names_its_own_prefix(
        database_url: str, _schema: None, mailbox: Mailbox) -> None:
    app = Flask("host")
    app.config.update(SECRET_KEY=SECRET, SQLALCHEMY_DATABASE_URI=database_url,
                      USERCORE_REGISTER_BLUEPRINT=False, **FAST_ARGON2)
    db = SQLAlchemy(app)
    core = UserCore(app, db=db, mailer=mailbox)
    app.register_blueprint(core.create_blueprint(), url_prefix="/identity")
    try:
        assert "POST /identity/verify-registration" in render(app, "registration").body
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_host_link_replaces_the_api_call(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_PUBLIC_URL": "https://app.example.com",
                    "USERCORE_MAIL_LINKS": {
                        "password-reset": "/#/reset?user={user_id}&token={token}"}})
    mail = render(app, "password-reset")
    link = f"https://app.example.com/#/reset?user={USER_ID}&token=AbCdEfGhIjKlMnOpQrSt"
    assert f"Set a new password: {link}" in mail.body
    assert "confirm-reset" not in mail.body
    assert f'<a href="{link.replace("&", "&amp;")}">' in mail.html
    # the code itself is still there, for a user who types it
    assert "reset code is: AbCdEfGhIjKlMnOpQrSt" in mail.body
    # a mail without a link of its own keeps its API call, below the public URL
    assert ("POST https://app.example.com/v2/verify-registration"
            in render(app, "registration").body)


@pytest.mark.parametrize("name", sorted(MAIL_LINK_FLOWS))
def test_every_mail_shows_its_link_in_both_parts(make_app: Callable[..., Flask],
                                                 name: str) -> None:
    template = "https://app.example.com/account?for={email}&id={user_id}"
    app = make_app({"USERCORE_MAIL_LINKS": {name: template}})
    mail = render(app, name)
    link = f"https://app.example.com/account?for=ada%2Btest%40example.com&id={USER_ID}"
    assert link in mail.body
    assert link.replace("&", "&amp;") in mail.html
    assert "/v2/" not in mail.body


def test_values_are_quoted_and_cannot_add_to_the_link() -> None:
    links = MailLinks("https://app.example.com",
                      {"registration": "/verify?email={email}&token={token}"})
    link = links.link("registration", {"email": "a&admin=1#@x/y", "token": "t?z",
                                       "user_id": USER_ID})
    assert link == "https://app.example.com/verify?email=a%26admin%3D1%23%40x%2Fy&token=t%3Fz"
    assert links.link("password-reset", {"token": "x"}) is None


def test_a_reset_link_from_the_mail_works(make_app: Callable[..., Flask],
                                          mailbox: Mailbox) -> None:
    app = make_app({"USERCORE_URL_PREFIX": "/api/users",
                    "USERCORE_PUBLIC_URL": "https://app.example.com",
                    "USERCORE_MAIL_LINKS": {
                        "registration": "/welcome?user={user_id}&code={token}",
                        "password-reset": "/#/reset?user={user_id}&token={token}"}})
    client = app.test_client()
    user_id = client.post("/api/users/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}).json["userId"]
    query = parse_qs(urlsplit(_link(mailbox.sent[-1].body)).query)
    assert query["user"] == [user_id]
    assert client.post("/api/users/verify-registration", json={
        "email": "ada@example.com", "userId": user_id,
        "token": query["code"][0]}).status_code == 200
    started = client.post("/api/users/users/self/credentials/actions/init-password-reset",
                          json={"email": "ada@example.com"})
    started.close()  # the mail goes out after the response
    link = _link(mailbox.sent[-1].body)
    assert link.startswith("https://app.example.com/#/reset?")
    # a single-page app reads its route from the fragment
    fragment = parse_qs(urlsplit(urlsplit(link).fragment).query)
    confirmed = client.post("/api/users/users/self/credentials/password/confirm-reset", json={
        "userId": fragment["user"][0], "token": fragment["token"][0],
        "password": "a brand new passphrase 42"})
    assert confirmed.status_code == 204


def _link(body: str) -> str:
    match = re.search(r"https://\S+", body)
    assert match, body
    return match.group(0)


# -- the configuration, checked at start-up --------------------------------------------


def test_the_defaults_have_no_public_url_and_no_links() -> None:
    config = load_config({"SECRET_KEY": SECRET})
    assert (config.public_url, dict(config.mail_links)) == ("", {})


def test_links_are_read_and_frozen() -> None:
    config = load_config({"SECRET_KEY": SECRET, "USERCORE_PUBLIC_URL": "https://x.example/app",
                          "USERCORE_MAIL_LINKS": {"mfa-reset": "/security"}})
    assert config.mail_links == {"mfa-reset": "/security"}
    with pytest.raises(TypeError):
        config.mail_links["mfa-reset"] = "/elsewhere"  # type: ignore[index]
    hash(config)  # a frozen config stays hashable


@pytest.mark.parametrize("value", [
    "example.com", "https://example.com/", "https://example.com?x=1",
    "https://example.com/#top", "ftp://example.com", "https://", "https:///path",
    "https://exa mple.com", "https://example.com\n"])
def test_a_public_url_that_is_no_base_url_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="USERCORE_PUBLIC_URL"):
        load_config({"SECRET_KEY": SECRET, "USERCORE_PUBLIC_URL": value})


@pytest.mark.parametrize("value", [["/x"], "/x", {"registration": 1}, {1: "/x"}])
def test_mail_links_must_be_a_dict_of_strings(value: Any) -> None:
    with pytest.raises(ConfigError, match="USERCORE_MAIL_LINKS must be a dict of strings"):
        load_config({"SECRET_KEY": SECRET, "USERCORE_MAIL_LINKS": value})


@pytest.mark.parametrize(("links", "message"), [
    ({"welcome": "https://x.example/"}, "no mail is called 'welcome'"),
    ({"mfa-reset": "https://x.example/{token}"}, r"\{token\} is not a placeholder"),
    ({"registration": "https://x.example/{user}"}, r"\{user\} is not a placeholder"),
    ({"registration": "https://x.example/{token!r}"}, "not a placeholder"),
    ({"registration": "https://x.example/{token:>30}"}, "not a placeholder"),
    ({"registration": "https://x.example/{user_id.hex}"}, "not a placeholder"),
    ({"registration": "https://x.example/{email[0]}"}, "not a placeholder"),
    ({"registration": "https://x.example/{token"}, "is not a link template"),
    ({"registration": "/verify"}, "set USERCORE_PUBLIC_URL"),
    ({"registration": "//evil.example/verify"}, "must be an http"),
    ({"registration": "javascript:alert(1)"}, "must be an http"),
    ({"registration": "verify?token={token}"}, "must be an http"),
    ({"registration": "https://{email}.example/"}, "must be an http"),
    ({"registration": "https://x.example{token}"}, "host must be complete"),
    ({"registration": "https://x.example/a b"}, "must not contain spaces"),
    ({"registration": "https://x.example/\\evil"}, "must not contain spaces"),
])
def test_a_wrong_link_template_is_refused(links: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"SECRET_KEY": SECRET, "USERCORE_MAIL_LINKS": links})


def test_a_wrong_link_template_stops_init_app(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="USERCORE_MAIL_LINKS"):
        make_app({"USERCORE_MAIL_LINKS": {"password-reset": "/reset?token={token}"}})


@pytest.mark.parametrize("template", [
    "https://app.example.com", "https://app.example.com/reset?u={user_id}&t={token}",
    "http://localhost:3000/#/reset/{user_id}/{token}", "https://x.example?e={email}",
    "https://x.example#/verify/{token}"])
def test_good_link_templates_are_taken(template: str) -> None:
    config = load_config({"SECRET_KEY": SECRET,
                          "USERCORE_MAIL_LINKS": {"password-reset": template}})
    assert config.mail_links["password-reset"] == template
