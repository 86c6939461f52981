"""A real browser through the authorization flow: Debian's Chromium, driven by Selenium
(chromedriver), signs in on the login page, allows on the consent page and lands on the
redirect URI with a code, which then buys a token. Skipped when ``chromium`` or
``chromedriver`` is not installed (``.ci/run`` installs them); a screenshot of the page is
kept when a step fails."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.conftest import PASSWORD
from tests.contract.served import Served, register_verified, serve
from tests.contract.test_oauth2_authlib import NO_LIMITS, admin_app, register_client

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium and chromium-driver are not installed")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Served]:
    with serve(database_url, tmp_path / "outbox", **NO_LIMITS) as running:
        yield running


def test_sign_in_consent_and_land_on_the_redirect_uri_with_a_code(
        browser: Any, served: Served, database_url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    callback = f"{served.base_url}/callback"
    with admin_app(database_url, tmp_path / "outbox", **NO_LIMITS) as admin:
        facts = register_client(admin, "--redirect-uri", callback)
    register_verified(served, "browser@example.com")
    verifier = generate_token(48)
    query = urlencode({"response_type": "code", "client_id": facts["client_id"],
                       "redirect_uri": callback, "scope": "profile", "state": "s-42",
                       "code_challenge": create_s256_code_challenge(verifier),
                       "code_challenge_method": "S256"})
    wait = WebDriverWait(browser, 20)
    try:
        browser.get(f"{served.base_url}/v2/oauth2/authorize?{query}")
        wait.until(until.presence_of_element_located((By.ID, "login-form")))
        browser.find_element(By.ID, "email").send_keys("browser@example.com")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(until.presence_of_element_located((By.ID, "consent-form")))
        assert "profile" in browser.find_element(By.ID, "scopes").get_attribute("innerHTML")
        browser.find_element(By.ID, "allow").click()
        wait.until(until.url_contains("/callback?"))
        landed = urlsplit(browser.current_url)
    except Exception:
        shot = tmp_path / "oauth2-browser-failure.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the failing page: {shot}")
        raise
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == callback
    params = {k: v[0] for k, v in parse_qs(landed.query).items()}
    assert params["state"] == "s-42"
    token = requests.post(f"{served.base_url}/v2/oauth2/token",
                          auth=(facts["client_id"], facts["client_secret"]), timeout=10,
                          data={"grant_type": "authorization_code", "code": params["code"],
                                "redirect_uri": callback, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"
