"""A real browser registers a passkey and signs in with it: Debian's Chromium, driven by
Selenium, with Chrome's virtual authenticator (DevTools ``WebAuthn.addVirtualAuthenticator``:
CTAP2, internal, resident keys, user verification), on example_app's page ``/passkeys``.
Skipped without ``chromium``/``chromedriver`` (``.ci/run`` installs them)."""

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


@pytest.fixture
def served(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    with serve(database_url, tmp_path / "outbox", port=port, url_host="localhost",
               USERCORE_WEBAUTHN_RP_ID="localhost",
               USERCORE_WEBAUTHN_ORIGINS=[f"http://localhost:{port}"], **NO_LIMITS) as running:
        yield running


def test_register_a_passkey_and_sign_in_with_it(browser: Any, served: Served,
                                                tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import (
        Protocol,
        Transport,
        VirtualAuthenticatorOptions,
    )
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    register_verified(served, "browser@example.com")
    wait = WebDriverWait(browser, 20)
    status = (By.ID, "status")
    try:
        browser.get(f"{served.base_url}/passkeys")
        browser.add_virtual_authenticator(VirtualAuthenticatorOptions(
            protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
            has_user_verification=True, is_user_verified=True))
        browser.find_element(By.ID, "email").send_keys("browser@example.com")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "password-sign-in").click()
        wait.until(until.text_to_be_present_in_element(status, "signed in with the password"))
        browser.find_element(By.ID, "register").click()
        wait.until(until.text_to_be_present_in_element(status, "passkey registered"))
        [credential] = browser.get_credentials()
        assert credential.is_resident_credential
        browser.find_element(By.ID, "passkey-sign-in").click()
        wait.until(until.text_to_be_present_in_element(
            status, "signed in with a passkey as browser@example.com"))
    except Exception:
        shot = tmp_path / "passkeys-browser-failure.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the failing page: {shot}; status: "
              f"{browser.find_element(*status).text}")
        raise
    assert browser.get_credentials()[0].sign_count >= 1
