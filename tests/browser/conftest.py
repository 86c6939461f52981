"""Fixtures of the browser tests: example_app with the account pages on, served over a real
socket (``tests/contract/served.py``), and a headless Chromium per test in each language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import harness
from tests.contract.oauth2_clients import NO_LIMITS
from tests.contract.served import Served, free_port, serve

#: The served app's configuration: the pages on, no rate limit in the way of a walk.
PAGES_CONFIG: dict[str, Any] = {"USERCORE_PAGES": True, **NO_LIMITS}


@pytest.fixture(scope="session", autouse=True)
def _screenshots(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Without ``$USERCORE_SCREENSHOTS`` the screenshots go to a temporary folder."""
    harness.fallback_screenshots = tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture(scope="module")
def served(database_url: str, _schema: None, outbox: Path) -> Iterator[Served]:
    """Served as ``localhost`` (a WebAuthn relying party's id is a host name), passkeys
    on for it."""
    port = free_port()
    with serve(database_url, outbox, port=port, url_host="localhost",
               USERCORE_WEBAUTHN_RP_ID="localhost",
               USERCORE_WEBAUTHN_ORIGINS=[f"http://localhost:{port}"],
               **PAGES_CONFIG) as running:
        yield running


@pytest.fixture(params=harness.LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def browser(lang: str, tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium speaking ``lang``; skipped without chromium/chromedriver."""
    if not harness.HAVE_BROWSER:
        pytest.skip("chromium and chromium-driver are not installed")
    pytest.importorskip("selenium.webdriver")
    pytest.importorskip("axe_core_python.selenium")
    driver = harness.chrome(lang, tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()
