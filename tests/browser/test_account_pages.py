"""A real browser through the account pages, in English and German: every page passes
axe-core and is shot (``tests/browser/harness.py``); the steps are in ``walk.py``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser import walk
from tests.browser.harness import HAVE_BROWSER, Visit, check_page, screenshot_folder
from tests.conftest import PASSWORD
from tests.contract.oauth2_clients import admin_app, register_client
from tests.contract.served import Served, register_verified

pytestmark = pytest.mark.skipif(not HAVE_BROWSER,
                                reason="chromium and chromium-driver are not installed")


def visitor(browser: Any, served: Served, lang: str, who: str) -> Visit:
    email = f"{who}.{lang}@example.com"
    register_verified(served, email)
    return Visit(browser, served, lang, email, PASSWORD)


#: Every page the walk checks (axe-core and a screenshot), in its order.
WALKED = [
    "sign-up", "sign-up-refused", "verify-email", "verify-email-refused", "resend-email-refused",
    "verify-email-done",
    "sign-in", "sign-in-refused", "home", "profile", "profile-saved", "profile-refused",
    "password", "password-refused", "password-saved",
    "email", "email-refused", "email-sent", "email-confirm", "email-confirmed",
    "mfa", "mfa-refused", "mfa-set-up", "mfa-confirm-refused", "recovery-codes", "mfa-on",
    "sign-in-code", "sign-in-code-refused", "mfa-new-codes-refused", "recovery-codes-new",
    "passkeys", "passkeys-refused", "passkey-create", "passkeys-added", "passkey",
    "passkey-refused", "providers",
    "sessions", "session-end", "session-end-refused", "sessions-ended",
    "sessions-end-others", "sessions-others-ended",
    "api-tokens", "api-tokens-refused", "api-token-created", "api-token-edit",
    "api-token-edit-refused", "api-token-delete", "api-tokens-deleted",
    "ssh-keys", "ssh-keys-refused", "ssh-keys-added", "ssh-key-edit", "ssh-key-edit-refused",
    "ssh-key-delete",
    "oauth2-consent", "apps", "app-revoke", "apps-revoked", "error",
    "forgot-password", "forgot-password-refused", "forgot-password-sent",
    "reset-password", "reset-password-refused", "reset-password-done", "mfa-off-refused",
    "mfa-off",
    "delete", "delete-refused", "deleted",
]


def test_the_walk_from_sign_up_to_delete_account(browser: Any, served: Served, lang: str,
                                                 database_url: str, outbox: Path) -> None:
    """One visitor through every account page: signs up, ..., deletes the account."""
    email = f"walk.{lang}.{uuid.uuid4().hex[:8]}@example.com"
    visit = Visit(browser, served, lang, email, "walk Pa55word for signing up")
    with admin_app(database_url, outbox) as admin:
        visit.facts["oauth2_client"] = register_client(
            admin, "--name", "Walk app", "--redirect-uri", f"{served.base_url}/callback")
    visit.facts["oauth2_client"]["redirect_uri"] = f"{served.base_url}/callback"
    walk.walk(visit, walk.WALK)
    print(f"the walk in {lang}: {sum(visit.timings.values()):.1f} s;",
          ", ".join(f"{name} {seconds:.1f}" for name, seconds in visit.timings.items()))
    assert visit.checked == WALKED


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
        visit.check("oauth2-login")
        visit.fill("email", visit.email)
        visit.fill("password", visit.password)
        visit.press("sign-in", then="consent-form")

    def consent(visit: Visit) -> None:
        visit.check("oauth2-consent-after-login")
        visit.element("allow").click()
        from selenium.webdriver.support import expected_conditions as until
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(visit.driver, 20).until(until.url_contains("/callback?"))
        landed = urlsplit(visit.driver.current_url)
        assert parse_qs(landed.query)["state"] == ["s-1"]

    walk.walk(visit, [walk.Step("oauth2 login", login), walk.Step("oauth2 consent", consent)])


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
