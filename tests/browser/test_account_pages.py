"""A real browser through the account pages, in English and German: every page passes
axe-core and is shot (``tests/browser/harness.py``); the steps are in ``walk.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser import walk
from tests.browser.harness import HAVE_BROWSER, Visit, check_page, screenshot_folder
from tests.conftest import PASSWORD, enable_mfa
from tests.contract.oauth2_clients import admin_app, register_client
from tests.contract.served import Served, register_verified

pytestmark = pytest.mark.skipif(not HAVE_BROWSER,
                                reason="chromium and chromium-driver are not installed")


def visitor(browser: Any, served: Served, lang: str, who: str) -> Visit:
    email = f"{who}.{lang}@example.com"
    register_verified(served, email)
    return Visit(browser, served, lang, email, PASSWORD)


def test_the_walk_through_the_account_pages(browser: Any, served: Served, lang: str) -> None:
    visit = visitor(browser, served, lang, "walk")
    walk.walk(visit, walk.WALK)
    assert visit.checked == ["sign-in", "sign-in-refused", "home", "profile", "profile-saved",
                             "profile-refused"]


def test_sign_in_with_the_second_factor(browser: Any, served: Served, lang: str,
                                        database_url: str, outbox: Path) -> None:
    visit = visitor(browser, served, lang, "mfa")
    with admin_app(database_url, outbox) as admin:
        visit.facts["totp_secret"] = enable_mfa(admin, _user_id(admin, visit.email))
    walk.walk(visit, [walk.Step("sign-in form", walk.sign_in_form),
                      walk.Step("sign in", walk.sign_in), walk.Step("sign out", walk.sign_out)])
    assert visit.checked == ["sign-in", "sign-in-code", "sign-in-code-refused"]


def test_the_oauth2_login_and_consent_pages(browser: Any, served: Served, lang: str,
                                            database_url: str, outbox: Path) -> None:
    visit = visitor(browser, served, lang, "oauth2")
    callback = f"{served.base_url}/callback"
    with admin_app(database_url, outbox) as admin:
        facts = register_client(admin, "--redirect-uri", callback)
    query = urlencode({"response_type": "code", "client_id": facts["client_id"],
                       "redirect_uri": callback, "scope": "profile", "state": "s-1",
                       "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                       "code_challenge_method": "S256"})

    def login(visit: Visit) -> None:
        visit.open(f"/v2/oauth2/authorize?{query}")
        visit.wait_for("login-form")
        visit.check("oauth2-login", in_lang=False)
        visit.fill("email", visit.email)
        visit.fill("password", visit.password)
        visit.press("sign-in", then="consent-form")

    def consent(visit: Visit) -> None:
        visit.check("oauth2-consent", in_lang=False)
        visit.element("allow").click()
        from selenium.webdriver.support import expected_conditions as until
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(visit.driver, 20).until(until.url_contains("/callback?"))
        landed = urlsplit(visit.driver.current_url)
        assert parse_qs(landed.query)["state"] == ["s-1"]

    walk.walk(visit, [walk.Step("oauth2 login", login), walk.Step("oauth2 consent", consent)])


def _user_id(app: Any, email: str) -> str:
    from sqlalchemy import select

    from flask_usercore.models import User

    with app.app_context():
        return str(app.extensions["usercore"].deps.session.scalar(
            select(User.id).where(User.email == email)))


@pytest.mark.parametrize("lang", ["en"])
def test_check_page_fails_listing_each_violation_and_keeps_the_screenshot(
        browser: Any, served: Served, lang: str) -> None:
    browser.get(f"{served.base_url}/account/sign-in")
    browser.execute_script(
        "const field = document.createElement('input'); field.id = 'unlabelled';"
        "document.getElementById('main').append(field);")
    with pytest.raises(AssertionError) as failed:
        check_page(browser, "harness-self-test")
    assert "- label (critical)" in str(failed.value)
    assert "#unlabelled" in str(failed.value)
    assert (screenshot_folder() / "harness-self-test.en.png").read_bytes()[:4] == b"\x89PNG"
    (screenshot_folder() / "harness-self-test.en.png").unlink()
