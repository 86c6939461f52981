"""Two-factor authentication on the account pages: set-up with the QR code, confirm,
recovery codes shown once, new recovery codes, off."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from flask_usercore.models import Credential, utcnow
from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, forms, sign_in, submit


def _status(client: FlaskClient) -> dict[str, bool]:
    status: dict[str, bool] = client.get("/v2/users/self/credentials/mfa").json
    return status


def _set_up(client: FlaskClient) -> tuple[Any, str]:
    """The set-up's answer page and the seed it shows as text."""
    page = submit(client, "/account/mfa", "mfa-setup-form", **{"setup-password": PASSWORD})
    assert page.status_code == 200, page.text
    match = re.search(r'<p class="secret" id="mfa-secret">([A-Z2-7 ]+)</p>', page.text)
    assert match, page.text
    return page, match.group(1).replace(" ", "")


def _codes(html: str) -> list[str]:
    block = re.search(r'<ul class="secret" id="recovery-codes">(.*?)</ul>', html, re.S)
    assert block, html
    return re.findall(r"<li>([^<]+)</li>", block.group(1))


def _confirm(client: FlaskClient, page: Any, code: str) -> Any:
    form = forms(page.text)["mfa-confirm-form"]
    return client.post(form["action"], data={**form["fields"],
                                             "confirm-multiFactorCode": code})


def test_set_up_shows_the_qr_code_and_the_key_then_the_recovery_codes_once(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    assert "Two-factor authentication is off." in client.get("/account/mfa").text
    page, secret = _set_up(client)
    assert re.search(r'<img id="mfa-qr" class="qr" src="data:image/png;base64,[A-Za-z0-9+/=]+"',
                     page.text)
    assert 'alt="QR code for your authenticator app.' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert _status(client) == {"initialized": True, "confirmed": False}
    done = _confirm(client, page, pyotp.TOTP(secret).now())
    assert done.status_code == 200, done.text
    codes = _codes(done.text)
    assert len(codes) == 20
    assert done.headers["Cache-Control"] == "no-store"
    assert _status(client) == {"initialized": True, "confirmed": True}
    shown = client.get("/account/mfa").text
    assert "Two-factor authentication is on" in shown
    assert codes[0] not in shown  # shown once
    assert "mfa-codes-form" in shown and "mfa-disable-form" in shown


def test_a_wrong_password_or_code_is_shown_next_to_its_field(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    wrong = submit(client, "/account/mfa", "mfa-setup-form",
                   **{"setup-password": "not my password 1"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "setup-password")
    assert _status(client) == {"initialized": False, "confirmed": False}
    page, _secret = _set_up(client)
    bad = _confirm(client, page, "000000")
    assert bad.status_code == 400
    assert field_error(bad.text, "confirm-multiFactorCode")
    assert _status(client) == {"initialized": True, "confirmed": False}
    # the page again offers the confirmation of the set-up begun
    assert "mfa-confirm-form" in bad.text


def test_new_recovery_codes_replace_the_old_ones_and_mfa_goes_off(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page, secret = _set_up(client)
    old = _codes(_confirm(client, page, pyotp.TOTP(secret).now()).text)
    wrong = submit(client, "/account/mfa", "mfa-codes-form",
                   **{"codes-multiFactorCode": "000000"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "codes-multiFactorCode")
    later = pyotp.TOTP(secret).at(time.time() + 30)  # the next time step
    renewed = submit(client, "/account/mfa", "mfa-codes-form",
                     **{"codes-multiFactorCode": later})
    assert renewed.status_code == 200, renewed.text
    new = _codes(renewed.text)
    assert len(new) == 20 and not set(new) & set(old)
    stale = submit(client, "/account/mfa", "mfa-disable-form",
                   **{"disable-multiFactorCode": old[0]})
    assert stale.status_code == 400
    assert field_error(stale.text, "disable-multiFactorCode")
    assert _status(client)["confirmed"] is True
    off = submit(client, "/account/mfa", "mfa-disable-form",
                 **{"disable-multiFactorCode": new[0]})
    assert off.status_code == 303
    assert "Two-factor authentication is off." in client.get(off.headers["Location"]).text
    assert _status(client) == {"initialized": False, "confirmed": False}


def test_an_unverified_address_cannot_set_up_mfa(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_REQUIRE_VERIFIED_EMAIL": False}, pages=True)
    client = app.test_client()
    assert client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}).status_code == 201
    sign_in(client, "ada@example.com", PASSWORD)
    assert "Verify your e-mail address first." in client.get("/account/mfa").text
    response = submit(client, "/account/mfa", "mfa-setup-form",
                      **{"setup-password": PASSWORD})
    assert response.status_code == 400
    assert 'id="form-errors"' in response.text
    assert _status(client) == {"initialized": False, "confirmed": False}


def test_the_confirmation_needs_a_recent_sign_in(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page, secret = _set_up(client)
    with app.app_context():  # the sign-in and the password are a day old now
        db = app.extensions["usercore"].core.db
        db.session.execute(update(Credential).values(
            authenticated_at=utcnow() - dt.timedelta(days=1)))
        db.session.commit()
    refused = _confirm(client, page, pyotp.TOTP(secret).now())
    assert refused.status_code == 401
    assert 'id="form-errors"' in refused.text
    assert _status(client)["confirmed"] is False


def test_the_rate_limit_of_the_api_applies(
        make_app: Callable[..., Flask], register: Callable[..., dict[str, Any]]) -> None:
    app = make_app({"USERCORE_RATELIMIT_AUTH": "1/minute"}, pages=True)
    client = app.test_client()
    facts = register()  # on the default app: the same database
    sign_in(client, facts["email"], PASSWORD)
    page, _secret = _set_up(client)
    first = _confirm(client, page, "000000")
    assert first.status_code == 400
    limited = _confirm(client, page, "000000")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "mfa-confirm-form" in limited.text  # the visitor's page, with the limit's message


def test_the_page_speaks_german(client: FlaskClient,
                                register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/mfa", headers={"Accept-Language": "de"})
    assert "Zwei-Faktor-Authentifizierung" in page.text
