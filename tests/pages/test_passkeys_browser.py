"""The passkey pages in a real browser: Debian's Chromium driven by Selenium, with Chrome's
virtual authenticator (DevTools ``WebAuthn.addVirtualAuthenticator``: CTAP2, internal,
resident keys, user verification), on example_app with the account pages on. The page's
own script (``static/usercore/passkeys.js``) runs under the pages' Content-Security-Policy:
add a passkey on ``/account/passkeys``, sign out, sign in with it, with MFA on answer
the second factor with it, rename and remove it;
and without JavaScript the sign-in page says why there is no passkey button while the
password still signs in. Skipped without ``chromium``/``chromedriver``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.contract.served import Served, free_port, register_verified, serve
from tests.contract.test_oauth2_authlib import NO_LIMITS
from tests.contract.test_oauth2_browser import CHROMEDRIVER, CHROMIUM
from tests.contract.test_oauth2_browser import browser as browser  # the fixture

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium and chromium-driver are not installed")
EMAIL = "passkey-pages@example.com"


@pytest.fixture
def served(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    with serve(database_url, tmp_path / "outbox", port=port, url_host="localhost",
               USERCORE_PAGES=True, USERCORE_WEBAUTHN_RP_ID="localhost",
               USERCORE_WEBAUTHN_ORIGINS=[f"http://localhost:{port}"], **NO_LIMITS) as running:
        yield running


def _enable_mfa(served: Served) -> None:
    """Turn MFA on for the account through the API (init, then confirm with a code)."""
    import httpx
    import pyotp

    with httpx.Client(base_url=served.base_url, **served.httpx_args()) as http:
        token = http.post("/v2/authenticate", json={"email": EMAIL, "password": PASSWORD}
                          ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        init = http.post("/v2/users/self/credentials/init-mfa", json={}, headers=headers)
        assert init.status_code == 200, init.text
        secret = pyotp.parse_uri(init.json()["url"]).secret
        confirmed = http.post("/v2/users/self/credentials/mfa", headers=headers,
                             json={"multiFactorCode": pyotp.TOTP(secret).now()})
        assert confirmed.status_code == 200, confirmed.text


def _shot_on_failure(browser: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}-failure.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot of the failing page: {shot}; url: {browser.current_url}")


def test_add_a_passkey_sign_in_with_it_rename_and_remove_it(
        browser: Any, served: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import (
        Protocol,
        Transport,
        VirtualAuthenticatorOptions,
    )
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    register_verified(served, EMAIL)
    wait = WebDriverWait(browser, 20)
    account = f"{served.base_url}/account"
    try:
        browser.get(f"{account}/sign-in?next=/account/passkeys")
        browser.add_virtual_authenticator(VirtualAuthenticatorOptions(
            protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
            has_user_verification=True, is_user_verified=True))
        # the script found WebAuthn: the button shows, the note goes
        wait.until(until.visibility_of_element_located((By.ID, "passkey-sign-in-button")))
        assert not browser.find_element(By.ID, "passkey-needs-js").is_displayed()
        browser.find_element(By.ID, "email").send_keys(EMAIL)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(until.url_to_be(f"{account}/passkeys"))
        assert browser.find_element(By.ID, "passkey-none")

        # add one: the name, then the browser's ceremony on the next page
        browser.find_element(By.ID, "name").send_keys("This browser")
        browser.find_element(By.ID, "passkey-add").click()
        wait.until(until.visibility_of_element_located((By.ID, "passkey-create"))).click()
        wait.until(until.url_to_be(f"{account}/passkeys?added=1"))
        table = browser.find_element(By.ID, "passkey-list")
        assert "This browser" in table.text
        [credential] = browser.get_credentials()
        assert credential.is_resident_credential

        # sign out, then in with the passkey (a discoverable one: no e-mail typed)
        browser.get(f"{account}/")
        browser.find_element(By.ID, "sign-out").click()
        wait.until(until.url_to_be(f"{account}/sign-in"))
        wait.until(until.visibility_of_element_located((By.ID, "passkey-sign-in-button"))
                   ).click()
        wait.until(until.url_to_be(f"{account}/"))
        assert EMAIL in browser.find_element(By.ID, "main").text
        assert browser.get_credentials()[0].sign_count >= 1

        # with MFA on: the password, then the passkey instead of the code
        _enable_mfa(served)
        browser.get(f"{account}/")
        browser.find_element(By.ID, "sign-out").click()
        wait.until(until.url_to_be(f"{account}/sign-in"))
        browser.find_element(By.ID, "email").send_keys(EMAIL)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(until.visibility_of_element_located((By.ID, "passkey-second-factor")))
        browser.find_element(By.ID, "passkey-second-factor").click()  # no password yet
        wait.until(until.text_to_be_present_in_element(
            (By.ID, "passkey-second-factor-status"), "No passkey was used"))
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "passkey-second-factor").click()
        wait.until(until.url_to_be(f"{account}/"))
        assert EMAIL in browser.find_element(By.ID, "main").text

        # rename, then remove it (confirmed)
        browser.get(f"{account}/passkeys")
        assert "never" not in browser.find_element(By.ID, "passkey-list").text
        browser.find_element(By.CSS_SELECTOR, "#passkey-list a").click()
        name = wait.until(until.presence_of_element_located((By.ID, "name")))
        name.clear()
        name.send_keys("Renamed")
        browser.find_element(By.ID, "passkey-rename").click()
        wait.until(until.url_to_be(f"{account}/passkeys?renamed=1"))
        assert "Renamed" in browser.find_element(By.ID, "passkey-list").text
        browser.find_element(By.CSS_SELECTOR, "#passkey-list a").click()
        wait.until(until.presence_of_element_located((By.ID, "confirm"))).click()
        browser.find_element(By.ID, "passkey-delete").click()
        wait.until(until.url_to_be(f"{account}/passkeys?removed=1"))
        assert browser.find_element(By.ID, "passkey-none")
    except Exception:
        _shot_on_failure(browser, tmp_path, "passkey-pages")
        raise


def test_a_cancelled_ceremony_says_so_and_keeps_the_page(browser: Any, served: Served,
                                                        tmp_path: Path) -> None:
    """No passkey in the browser (an authenticator without credentials): the sign-in page
    stays, with the message in its status line."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import (
        Protocol,
        Transport,
        VirtualAuthenticatorOptions,
    )
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    try:
        browser.get(f"{served.base_url}/account/sign-in")
        browser.add_virtual_authenticator(VirtualAuthenticatorOptions(
            protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
            has_user_verification=True, is_user_verified=True))
        wait.until(until.visibility_of_element_located((By.ID, "passkey-sign-in-button"))
                   ).click()
        wait.until(until.text_to_be_present_in_element((By.ID, "passkey-sign-in-status"),
                                                       "No passkey was used"))
        assert browser.current_url == f"{served.base_url}/account/sign-in"
        assert browser.find_element(By.ID, "passkey-sign-in-button").is_enabled()
    except Exception:
        _shot_on_failure(browser, tmp_path, "passkey-cancelled")
        raise


@pytest.fixture
def browser_without_javascript(tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'nojs'}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_without_javascript_the_note_shows_and_the_password_works(
        browser_without_javascript: Any, served: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    browser = browser_without_javascript
    register_verified(served, EMAIL)
    try:
        browser.get(f"{served.base_url}/account/sign-in")
        assert browser.find_element(By.ID, "passkey-needs-js").is_displayed()
        assert not browser.find_element(By.ID, "passkey-sign-in-form").is_displayed()
        browser.find_element(By.ID, "email").send_keys(EMAIL)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        WebDriverWait(browser, 20).until(until.url_to_be(f"{served.base_url}/account/"))
    except Exception:
        _shot_on_failure(browser, tmp_path, "passkey-nojs")
        raise
