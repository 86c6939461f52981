"""Sign-in by provider in a real browser: Debian's headless Chromium (Selenium, as in
test_oauth2_browser.py) starts at the relying example_app, signs in and consents on the
provider's pages (a second example_app over another socket), comes back through the
callback and lands on the return URL with the session cookie. Skipped without
``chromium`` and ``chromedriver`` (``.ci/run`` installs them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from tests.conftest import PASSWORD
from tests.contract.providers_support import Provider, add_user
from tests.contract.test_oauth2_browser import browser as browser  # the fixture
from tests.contract.test_oauth2_browser import pytestmark as pytestmark  # skip without it
from tests.contract.test_providers import START
from tests.contract.test_providers import base as base  # the fixtures
from tests.contract.test_providers import ours as ours
from tests.contract.test_providers import relying as relying
from tests.contract.test_providers import rp as rp


def test_a_browser_signs_up_with_the_provider_and_lands_signed_in(
        browser: Any, rp: Callable[..., Flask], ours: Provider, base: str,
        tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    rp(allow_signup=True, _config={"USERCORE_PROVIDER_RETURN_URL": "/me"})
    add_user(ours.app, "chromium@provider.example")
    wait = WebDriverWait(browser, 20)
    try:
        browser.get(f"{base}{START}?cookieOnly=true")
        wait.until(until.presence_of_element_located((By.ID, "login-form")))
        browser.find_element(By.ID, "email").send_keys("chromium@provider.example")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(until.presence_of_element_located((By.ID, "consent-form")))
        browser.find_element(By.ID, "allow").click()
        wait.until(until.url_to_be(f"{base}/me"))
        shown = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    except Exception:
        shot = tmp_path / "providers-browser-failure.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the failing page: {shot}\n{browser.page_source[:2000]}")
        raise
    assert shown["email"] == "chromium@provider.example" and shown["kind"] == "session"
    assert any(cookie["name"] == "x-access-token" and cookie["httpOnly"]
               for cookie in browser.get_cookies())
