"""Signing in with another provider and the linked providers on the account pages, against
a real OpenID provider (a second example_app over a socket, tests/contract/
providers_support.py) and a ``requests`` browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import pyotp
import requests
from flask import Flask
from sqlalchemy import func, select, update

from example_app import db
from flask_usercore.models import Credential, Identity, User, utcnow
from tests.conftest import PASSWORD
from tests.contract.providers_support import Provider, add_user, answer_provider
from tests.contract.test_providers import EMAIL
from tests.contract.test_providers import base as base  # the fixtures
from tests.contract.test_providers import ours as ours
from tests.contract.test_providers import relying as relying
from tests.contract.test_providers import rp as rp
from tests.pages.page_support import field_error, forms

PAGES = {"USERCORE_PAGES": True}
LOCAL = "ada@relying.example"


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _signed_in(browser: requests.Session) -> bool:
    """Whether the browser holds the relying app's session cookie (the provider, on
    127.0.0.1, sets its own)."""
    return any(cookie.name == "x-access-token" and "localhost" in cookie.domain
               for cookie in browser.cookies)


def _post(browser: requests.Session, url: str, form_id: str,
          **values: str) -> requests.Response:
    """Open ``url`` and send its form ``form_id`` with ``values`` (redirects followed)."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    form = forms(page.text)[form_id]
    return browser.post(urljoin(page.url, form["action"]), data={**form["fields"], **values})


def _by_provider(browser: requests.Session, base: str, email: str = EMAIL,
                 start: str = "/account/sign-in") -> requests.Response:
    """Press the provider's button on the sign-in page, then through the provider."""
    return answer_provider(browser, _post(browser, base + start, "provider-ours-form"), email)


def _sign_in(browser: requests.Session, base: str, email: str) -> None:
    signed_in = _post(browser, f"{base}/account/sign-in", "sign-in-form", email=email,
                      password=PASSWORD)
    assert signed_in.url == f"{base}/account/", signed_in.text


def test_the_sign_in_page_has_a_button_per_provider_that_signs_up_and_in(
        rp: Callable[..., Flask], base: str) -> None:
    app = rp(allow_signup=True, _config=PAGES)
    browser = requests.Session()
    page = browser.get(f"{base}/account/sign-in?next=/account/profile")
    assert 'id="provider-ours"' in page.text and "Sign in with Our provider" in page.text
    answer = _by_provider(browser, base, start="/account/sign-in?next=/account/profile")
    assert answer.url == f"{base}/account/profile", "signed in, on to next"
    assert answer.status_code == 200 and 'id="profile-form"' in answer.text
    assert _signed_in(browser)
    assert _count(app, Identity) == 1
    assert browser.get(f"{base}/v2/users/self").json()["email"] == EMAIL


def test_an_account_with_mfa_gets_the_code_step(rp: Callable[..., Flask],
                                               base: str) -> None:
    app = rp(trust_email=True, _config=PAGES)
    _, seed = add_user(app, EMAIL, mfa=True)
    assert seed is not None
    browser = requests.Session()
    step = _by_provider(browser, base)
    assert step.url == f"{base}/account/sign-in/provider" and step.status_code == 200
    assert not _signed_in(browser)
    form = forms(step.text)["provider-code-form"]
    action = urljoin(step.url, form["action"])
    wrong = browser.post(action, data={**form["fields"], "multiFactorCode": "000000"})
    assert wrong.status_code == 400 and field_error(wrong.text, "multiFactorCode")
    done = browser.post(action, data={**form["fields"],
                                      "multiFactorCode": pyotp.TOTP(seed).now()})
    assert done.url == f"{base}/account/" and done.status_code == 200 and _signed_in(browser)
    with app.app_context():
        (session,) = db.session.scalars(select(Credential)).all()
        assert session.auth_methods == "fed otp mfa"
    assert browser.get(f"{base}/account/sign-in/provider").url == f"{base}/account/", \
        "the waiting sign-in is used once (signed in: on to the account)"


def test_a_refusal_comes_back_to_the_sign_in_page_with_its_message(
        rp: Callable[..., Flask], base: str) -> None:
    app = rp(_config=PAGES)  # no sign-up by provider
    browser = requests.Session()
    answer = _by_provider(browser, base)
    assert answer.url == f"{base}/account/sign-in?error=ProviderSignUpClosed"
    assert 'id="provider-error"' in answer.text and "signing up with it is not allowed" \
        in answer.text
    assert "signing up with it is not allowed" not in browser.get(answer.url).text, "once"
    assert _count(app, User) == 0 and _count(app, Identity) == 0


def test_an_unknown_provider_or_a_missing_csrf_token_starts_nothing(
        rp: Callable[..., Flask], base: str) -> None:
    rp(_config=PAGES)
    browser = requests.Session()
    page = browser.get(f"{base}/account/sign-in")
    fields = forms(page.text)["provider-ours-form"]["fields"]
    unknown = browser.post(f"{base}/account/sign-in/provider/nobody", data=fields,
                           allow_redirects=False)
    assert unknown.status_code == 303
    assert unknown.headers["location"] == "/account/sign-in?error=NotFound"
    assert "no sign-in provider is called" in browser.get(f"{base}/account/sign-in").text
    forged = browser.post(f"{base}/account/sign-in/provider/ours", data={},
                          allow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"] == "/account/sign-in"
    assert "The form expired" in browser.get(f"{base}/account/sign-in").text


def test_link_list_and_unlink_on_the_providers_page(rp: Callable[..., Flask],
                                                  base: str) -> None:
    app = rp(_config=PAGES)
    add_user(app, LOCAL)
    browser = requests.Session()
    _sign_in(browser, base, LOCAL)
    page = browser.get(f"{base}/account/providers")
    assert "No provider is linked to your account." in page.text
    assert 'id="link-ours"' in page.text
    started = browser.post(f"{base}/account/providers/link",
                           data={**forms(page.text)["link-provider-form"]["fields"],
                                 "provider": "ours"})  # a fresh session: no password asked
    linked = answer_provider(browser, started, EMAIL)
    assert linked.url == f"{base}/account/providers?linked=ours"
    assert "Our provider is linked" in linked.text and 'id="unlink-ours"' in linked.text
    assert EMAIL in linked.text and _count(app, Identity) == 1
    confirm = f"{base}/account/providers/ours/unlink"
    unconfirmed = _post(browser, confirm, "unlink-provider-form")
    assert unconfirmed.status_code == 400 and field_error(unconfirmed.text, "confirm")
    assert _count(app, Identity) == 1
    done = _post(browser, confirm, "unlink-provider-form", confirm="y")
    assert done.url == f"{base}/account/providers?unlinked=ours"
    assert "Our provider is unlinked." in done.text and _count(app, Identity) == 0


def test_a_link_needs_a_fresh_session_or_the_password(rp: Callable[..., Flask],
                                                     ours: Provider, base: str) -> None:
    app = rp(_config=PAGES)
    add_user(app, LOCAL)
    browser = requests.Session()
    _sign_in(browser, base, LOCAL)
    with app.app_context():
        db.session.execute(update(Credential).values(
            authenticated_at=utcnow() - dt.timedelta(hours=1)))
        db.session.commit()
    page = browser.get(f"{base}/account/providers")
    fields = {**forms(page.text)["link-provider-form"]["fields"], "provider": "ours"}
    stale = browser.post(f"{base}/account/providers/link", data=fields,
                         allow_redirects=False)
    assert stale.status_code == 401 and 'id="form-errors"' in stale.text
    wrong = browser.post(f"{base}/account/providers/link",
                         data={**fields, "password": "not the password 1"},
                         allow_redirects=False)
    assert wrong.status_code == 400 and field_error(wrong.text, "password")
    right = browser.post(f"{base}/account/providers/link",
                         data={**fields, "password": PASSWORD}, allow_redirects=False)
    assert right.status_code == 303
    assert right.headers["location"].startswith(ours.base_url), "on to the provider"
    assert _count(app, Identity) == 0


def test_the_last_way_to_sign_in_is_not_unlinked(rp: Callable[..., Flask],
                                                 base: str) -> None:
    app = rp(allow_signup=True, _config=PAGES)
    browser = requests.Session()
    assert _by_provider(browser, base).url == f"{base}/account/"
    refused = _post(browser, f"{base}/account/providers/ours/unlink",
                    "unlink-provider-form", confirm="y")
    assert refused.status_code == 409 and "last way to sign in" in refused.text
    assert _count(app, Identity) == 1


def test_the_providers_page_needs_a_sign_in_and_speaks_german(
        rp: Callable[..., Flask], ours: Provider, base: str) -> None:
    app = rp(_config=PAGES)
    add_user(app, LOCAL)
    browser = requests.Session()
    away = browser.get(f"{base}/account/providers", allow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/account/sign-in?next=/account/providers"
    _sign_in(browser, base, LOCAL)
    german = browser.get(f"{base}/account/providers", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in german.text and "Verknüpfte Anbieter" in german.text


def test_the_pages_let_a_form_lead_to_the_providers_origin(rp: Callable[..., Flask],
                                                         ours: Provider, base: str) -> None:
    """A browser follows the 303 of "Sign in with ..." to the provider only when the
    page's form-action names its origin (tests/browser/test_provider_pages.py)."""
    rp(_config=PAGES)
    policy = requests.get(f"{base}/account/sign-in", timeout=30).headers[
        "Content-Security-Policy"]
    assert f"form-action 'self' {ours.base_url};" in policy
    assert "script-src 'self'" in policy  # the sign-in page's passkey script
    other = requests.get(f"{base}/account/password/forgot", timeout=30).headers[
        "Content-Security-Policy"]
    assert f"form-action 'self' {ours.base_url};" in other and "script-src" not in other
