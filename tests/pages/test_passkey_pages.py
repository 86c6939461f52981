"""Passkeys on the account pages: signing in with one (and the second factor) from the
sign-in page, and the passkeys page (list, add, rename, remove), through the Flask test
client with the software authenticator (tests/passkey_authenticator.py) doing the
browser's part of ``static/usercore/passkeys.js``."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from flask_usercore.models import Credential, Passkey, PasskeyChallenge
from flask_usercore.state import usercore_state
from tests.api.passkey_flow import ORIGIN, PASSKEY_CONFIG, register_passkey
from tests.conftest import PASSWORD, enable_mfa
from tests.pages.page_support import field_error, forms, sign_in, submit
from tests.passkey_authenticator import SoftAuthenticator

SIGN_IN = "/account/sign-in"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(PASSKEY_CONFIG, pages=True)


@pytest.fixture
def holder(client: FlaskClient, user: dict[str, Any]) -> SoftAuthenticator:
    """The user's authenticator with one passkey, registered through the API."""
    authenticator = SoftAuthenticator(ORIGIN)
    assert register_passkey(client, user["headers"], authenticator).status_code == 201
    return authenticator


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return usercore_state().deps.session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0


def _options(client: FlaskClient, form: dict[str, Any], body: dict[str, Any]) -> Any:
    """What passkeys.js does first: POST the form's data-options-url."""
    response = client.post(form["options_url"], json=body)
    assert response.status_code == 200, response.json
    return response.json["publicKey"]


def passkey_form(page: str, form_id: str) -> dict[str, Any]:
    """The form ``form_id`` of ``page`` with its data-options-url / data-options."""
    form = forms(page)[form_id]
    tag = re.search(rf'<form[^>]*id="{form_id}"[^>]*>', page, re.S)
    assert tag is not None
    url = re.search(r'data-options-url="([^"]*)"', tag.group(0))
    options = re.search(r'data-options="([^"]*)"', tag.group(0))
    form["options_url"] = html.unescape(url.group(1)) if url else None
    form["options"] = json.loads(html.unescape(options.group(1))) if options else None
    form["hidden"] = " hidden" in tag.group(0)
    return form


def passkey_sign_in(client: FlaskClient, authenticator: SoftAuthenticator,
                    url: str = SIGN_IN, **get: Any) -> Any:
    """The sign-in page's passkey button: options, the authenticator, the form sent."""
    form = passkey_form(client.get(url).text, "passkey-sign-in-form")
    assertion = authenticator.get(_options(client, form, {}), **get)
    return client.post(form["action"], data={**form["fields"],
                                             "credential": json.dumps(assertion)})


# --- signing in ---------------------------------------------------------------------


def test_the_sign_in_page_offers_a_passkey_with_our_script_only(client: FlaskClient) -> None:
    page = client.get(SIGN_IN)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    form = passkey_form(page.text, "passkey-sign-in-form")
    assert form["hidden"]  # shown by the script only: without it the note says why
    assert 'id="passkey-needs-js"' in page.text
    assert form["options_url"] == "/v2/authenticate-passkey/options"
    assert '<script src="/account/static/passkeys.js" defer></script>' in page.text
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None  # no inline script
    assert " on" not in re.sub(r'"[^"]*"', "", "".join(re.findall(r"<[^>]+>", page.text)))
    script = client.get("/account/static/passkeys.js")
    assert script.status_code == 200
    assert "navigator.credentials.get" in script.text
    script.close()
    # the password form works as before
    assert "sign-in-form" in forms(page.text)


def test_no_passkey_part_without_a_relying_party(make_app: Callable[..., Flask]) -> None:
    page = make_app(pages=True).test_client().get(SIGN_IN)
    assert page.status_code == 200
    assert "passkey-sign-in" not in page.text


def test_sign_in_with_a_passkey_sets_the_cookie_and_goes_on_to_next(
        app: Flask, client: FlaskClient, holder: SoftAuthenticator,
        user: dict[str, Any]) -> None:
    response = passkey_sign_in(client, holder, f"{SIGN_IN}?next=/account/passkeys")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/account/passkeys"
    assert "x-access-token=" in response.headers["Set-Cookie"]
    page = client.get("/account/passkeys")
    assert page.status_code == 200
    assert "Laptop" in page.text
    assert client.get("/v2/users/self").json["email"] == user["email"]
    with app.app_context():
        used = usercore_state().deps.session.scalars(select(Passkey)).one()
        assert used.last_used_at is not None


def test_next_never_leaves_the_site(client: FlaskClient, holder: SoftAuthenticator) -> None:
    response = passkey_sign_in(client, holder, f"{SIGN_IN}?next=https://evil.example/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("how", ["origin", "unknown", "malformed", "rp", "not-json"])
def test_bad_answers_are_refused_and_nothing_is_written(
        app: Flask, client: FlaskClient, holder: SoftAuthenticator, how: str) -> None:
    sessions = count(app, Credential)
    page = client.get(SIGN_IN).text
    form = passkey_form(page, "passkey-sign-in-form")
    options = _options(client, form, {})
    if how == "origin":
        answer: Any = json.dumps(holder.get(options, origin="https://evil.example"))
    elif how == "unknown":
        answer = json.dumps(_stranger_answer(options))
    elif how == "malformed":
        answer = json.dumps({"id": "x", "type": "public-key", "response": {}})
    elif how == "rp":
        answer = json.dumps(holder.get(options, rp_id="evil.example",
                                       credential_id=next(iter(holder.credentials))))
    else:
        answer = "{not json"
    response = client.post(form["action"], data={**form["fields"], "credential": answer})
    assert response.status_code == 400, response.text
    assert 'role="alert"' in response.text
    assert "x-access-token" not in response.headers.get("Set-Cookie", "")
    assert 'id="sign-in-form"' in response.text  # the password form again
    assert count(app, Credential) == sessions
    # the refused answer used no challenge: the right one signs in with the same options
    assertion = holder.get(options)
    good = client.post(form["action"], data={**form["fields"],
                                              "credential": json.dumps(assertion)})
    assert good.status_code == 303


def _stranger_answer(options: dict[str, Any]) -> dict[str, Any]:
    """An answer by a passkey registered nowhere (another authenticator's credential)."""
    stranger = SoftAuthenticator(ORIGIN)
    stranger.create({"rp": {"id": options["rpId"]}, "user": {"id": "AAAA"},
                     "challenge": "AAAA"})
    return stranger.get(options)


def test_a_replayed_answer_is_refused(client: FlaskClient, holder: SoftAuthenticator) -> None:
    form = passkey_form(client.get(SIGN_IN).text, "passkey-sign-in-form")
    answer = json.dumps(holder.get(_options(client, form, {})))
    data = {**form["fields"], "credential": answer}
    assert client.post(form["action"], data=data).status_code == 303
    client.delete_cookie("x-access-token")
    again = client.post(form["action"], data=data)
    assert again.status_code == 400
    assert "x-access-token" not in again.headers.get("Set-Cookie", "")


def test_without_the_csrf_token_nothing_happens(app: Flask, client: FlaskClient,
                                                holder: SoftAuthenticator) -> None:
    form = passkey_form(client.get(SIGN_IN).text, "passkey-sign-in-form")
    answer = json.dumps(holder.get(_options(client, form, {})))
    sessions = count(app, Credential)
    refused = client.post(form["action"], data={"credential": answer})
    assert refused.status_code == 400
    assert "x-access-token" not in refused.headers.get("Set-Cookie", "")
    assert count(app, Credential) == sessions
    forged = client.post(form["action"], data={"credential": answer, "csrf_token": "forged"})
    assert forged.status_code == 400
    # nothing was used up: the page's own form still signs in with that answer
    ok = client.post(form["action"], data={**form["fields"], "credential": answer})
    assert ok.status_code == 303


def test_no_answer_says_passkeys_need_javascript(client: FlaskClient) -> None:
    form = passkey_form(client.get(SIGN_IN).text, "passkey-sign-in-form")
    response = client.post(form["action"], data=form["fields"])
    assert response.status_code == 400
    assert "JavaScript" in response.text


def test_a_passkey_as_the_second_factor(app: Flask, client: FlaskClient,
                                        holder: SoftAuthenticator,
                                        user: dict[str, Any]) -> None:
    enable_mfa(app, user["userId"])
    first = submit(client, f"{SIGN_IN}?next=/account/profile", "sign-in-form",
                   email=user["email"], password=PASSWORD)
    assert first.status_code == 200
    assert "passkey-sign-in-form" not in first.text
    form = passkey_form(first.text, "passkey-second-factor-form")
    assert form["options_url"] == "/v2/authenticate-mfa-passkey/options"
    body = {"email": user["email"], "password": PASSWORD}
    assertion = holder.get(_options(client, form, body))
    # a wrong password: the step again, nothing signed in
    wrong = client.post(form["action"], data={**form["fields"], **body,
                                              "password": "wrong password 1",
                                              "credential": json.dumps(assertion)})
    assert wrong.status_code == 400
    assert 'id="passkey-second-factor-form"' in wrong.text
    assert "x-access-token" not in wrong.headers.get("Set-Cookie", "")
    response = client.post(form["action"], data={**form["fields"], **body,
                                                 "credential": json.dumps(assertion)})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/account/profile"
    assert "x-access-token=" in response.headers["Set-Cookie"]


def test_the_sign_in_part_in_german(client: FlaskClient) -> None:
    page = client.get(SIGN_IN, headers={"Accept-Language": "de"})
    assert "Mit einem Passkey anmelden" in page.text
    assert "JavaScript" in page.text


# --- the passkeys page -----------------------------------------------------------------


def signed_in(client: FlaskClient, register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    return facts


def add_passkey(client: FlaskClient, authenticator: SoftAuthenticator, name: str = "Laptop",
                **fields: Any) -> Any:
    """The two steps of the page: the name (and password), then the browser's answer."""
    options_page = submit(client, "/account/passkeys", "passkey-add-form", name=name,
                          **fields)
    assert options_page.status_code == 200, options_page.text
    form = passkey_form(options_page.text, "passkey-create-form")
    assert form["hidden"]
    credential = authenticator.create(form["options"])
    return client.post(form["action"], data={**form["fields"],
                                             "credential": json.dumps(credential)})


def test_not_signed_in_goes_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/account/passkeys")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in?next=/account/passkeys"


def test_add_a_passkey_then_sign_in_with_it(app: Flask, client: FlaskClient,
                                            register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    page = client.get("/account/passkeys")
    assert page.status_code == 200
    assert 'id="passkey-none"' in page.text
    assert 'id="password"' not in page.text  # a fresh session needs no password
    authenticator = SoftAuthenticator(ORIGIN)
    response = add_passkey(client, authenticator, "My phone")
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/account/passkeys?added=1"
    listed = client.get("/account/passkeys").text
    assert "My phone" in listed and 'id="passkey-list"' in listed
    assert "never" in listed
    client.delete_cookie("x-access-token")
    assert passkey_sign_in(client, authenticator).status_code == 303
    assert count(app, Passkey, Passkey.last_used_at.is_not(None)) == 1


def test_the_create_page_has_our_script_and_no_inline_code(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    page = submit(client, "/account/passkeys", "passkey-add-form", name="")
    assert page.status_code == 200, page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert 'id="passkey-needs-js"' in page.text


def _age_sessions(app: Flask) -> None:
    with app.app_context():
        session = usercore_state().deps.session
        session.execute(update(Credential).values(
            authenticated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
        session.commit()


def test_a_stale_session_needs_the_password(app: Flask, client: FlaskClient,
                                            register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    _age_sessions(app)
    page = client.get("/account/passkeys")
    assert 'id="password"' in page.text
    missing = submit(client, "/account/passkeys", "passkey-add-form", name="Laptop")
    assert missing.status_code == 401
    assert 'role="alert"' in missing.text
    wrong = submit(client, "/account/passkeys", "passkey-add-form", name="Laptop",
                   password="wrong password 1")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "password")
    assert count(app, PasskeyChallenge) == 0
    response = add_passkey(client, SoftAuthenticator(ORIGIN), password=PASSWORD)
    assert response.status_code == 303
    assert count(app, Passkey) == 1


def test_a_bad_name_is_shown_at_its_field(app: Flask, client: FlaskClient,
                                          register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    for name in ("x" * 65, "bad\u200bname"):
        response = submit(client, "/account/passkeys", "passkey-add-form", name=name)
        assert response.status_code == 400, name
        assert field_error(response.text, "name"), name
    assert count(app, PasskeyChallenge) == 0


@pytest.mark.parametrize("how", ["origin", "empty", "not-json", "csrf", "replay"])
def test_bad_registrations_store_nothing(app: Flask, client: FlaskClient,
                                         register: Callable[..., dict[str, Any]],
                                         how: str) -> None:
    signed_in(client, register)
    options_page = submit(client, "/account/passkeys", "passkey-add-form", name="Laptop")
    form = passkey_form(options_page.text, "passkey-create-form")
    authenticator = SoftAuthenticator(ORIGIN)
    data = {**form["fields"]}
    if how == "origin":
        data["credential"] = json.dumps(authenticator.create(form["options"],
                                                             origin="https://evil.example"))
    elif how == "not-json":
        data["credential"] = "[1, 2"
    elif how == "csrf":
        data["credential"] = json.dumps(authenticator.create(form["options"]))
        del data["csrf_token"]
    elif how == "replay":
        data["credential"] = json.dumps(authenticator.create(form["options"]))
        assert client.post(form["action"], data=data).status_code == 303
        client.post(f"/account/passkeys/{_only_passkey(app)}/delete",
                    data={**data, "confirm": "y"})
    response = client.post(form["action"], data=data)
    assert response.status_code == 400, response.text
    assert 'role="alert"' in response.text
    assert 'id="passkey-add-form"' in response.text
    assert count(app, Passkey) == 0


def _only_passkey(app: Flask) -> str:
    with app.app_context():
        return str(usercore_state().deps.session.scalars(select(Passkey.id)).one())


def test_rename_and_remove(app: Flask, client: FlaskClient,
                           register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    assert add_passkey(client, SoftAuthenticator(ORIGIN)).status_code == 303
    passkey_id = _only_passkey(app)
    url = f"/account/passkeys/{passkey_id}"
    assert f'id="passkey-edit-{passkey_id}"' in client.get("/account/passkeys").text
    blank = submit(client, url, "passkey-rename-form", name="  ")
    assert blank.status_code == 400
    assert field_error(blank.text, "name")
    renamed = submit(client, url, "passkey-rename-form", name="Work laptop")
    assert renamed.status_code == 303
    assert "Work laptop" in client.get("/account/passkeys?renamed=1").text
    unconfirmed = submit(client, url, "passkey-delete-form")
    assert unconfirmed.status_code == 400
    assert field_error(unconfirmed.text, "confirm")
    assert count(app, Passkey) == 1
    removed = submit(client, url, "passkey-delete-form", confirm="y")
    assert removed.status_code == 303
    assert removed.headers["Location"] == "/account/passkeys?removed=1"
    assert count(app, Passkey) == 0


def test_another_users_passkey_is_not_found(app: Flask, client: FlaskClient,
                                            holder: SoftAuthenticator,
                                            register: Callable[..., dict[str, Any]]) -> None:
    theirs = _only_passkey(app)
    register("eve@example.com")
    sign_in(client, "eve@example.com", PASSWORD)
    assert client.get(f"/account/passkeys/{theirs}").status_code == 404
    assert client.get("/account/passkeys/not-a-uuid").status_code == 404
    fields = forms(client.get("/account/passkeys").text)["passkey-add-form"]["fields"]
    token = {"csrf_token": fields["csrf_token"]}
    renamed = client.post(f"/account/passkeys/{theirs}/rename", data={**token, "name": "x"})
    removed = client.post(f"/account/passkeys/{theirs}/delete", data={**token, "confirm": "y"})
    assert (renamed.status_code, removed.status_code) == (404, 404)
    with app.app_context():
        kept = usercore_state().deps.session.scalars(select(Passkey)).one()
        assert kept.name == "Laptop"


def test_rename_without_csrf_is_refused(app: Flask, client: FlaskClient,
                                        register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    assert add_passkey(client, SoftAuthenticator(ORIGIN)).status_code == 303
    passkey_id = _only_passkey(app)
    assert client.post(f"/account/passkeys/{passkey_id}/rename",
                       data={"name": "x"}).status_code == 400
    assert client.post(f"/account/passkeys/{passkey_id}/delete",
                       data={"confirm": "y"}).status_code == 400
    with app.app_context():
        assert usercore_state().deps.session.scalars(select(Passkey.name)).one() == "Laptop"


def test_the_passkeys_page_in_german(client: FlaskClient,
                                     register: Callable[..., dict[str, Any]]) -> None:
    signed_in(client, register)
    page = client.get("/account/passkeys", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert "Passkey hinzufügen" in page.text
    assert "Sie haben noch keinen Passkey." in page.text


def test_the_second_factor_form_needs_mfa_on_and_the_csrf_token(
        app: Flask, client: FlaskClient, holder: SoftAuthenticator,
        user: dict[str, Any]) -> None:
    """Without MFA on, the passkey second factor is refused (the API's 408), as is a form
    without its CSRF token; no session either way."""
    page = client.get(SIGN_IN).text
    token = forms(page)["sign-in-form"]["fields"]["csrf_token"]
    assertion = json.dumps(holder.get({"rpId": "example.test", "challenge": "AAAA",
                                       "allowCredentials": []}))
    data = {"email": user["email"], "password": PASSWORD, "credential": assertion}
    sessions = count(app, Credential)
    no_mfa = client.post("/account/sign-in/passkey-second-factor",
                         data={**data, "csrf_token": token})
    assert no_mfa.status_code == 408
    assert 'id="sign-in-form"' in no_mfa.text
    no_csrf = client.post("/account/sign-in/passkey-second-factor", data=data)
    assert no_csrf.status_code == 400
    for response in (no_mfa, no_csrf):
        assert "x-access-token" not in response.headers.get("Set-Cookie", "")
    assert count(app, Credential) == sessions
