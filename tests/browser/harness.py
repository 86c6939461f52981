"""The browser harness of the account pages: Debian's headless Chromium driven by Selenium
(chromedriver), axe-core run in the page, a full-page screenshot of every page checked.

- :func:`chrome` starts a browser whose language (``--lang`` and the ``Accept-Language``
  it sends, ``intl.accept_languages``) is ``en`` or ``de``;
- :func:`check_page` runs axe-core (``axe_core_python``) over the page shown and fails
  listing every violation, then saves ``<name>.<lang>.png`` into ``$USERCORE_SCREENSHOTS``
  (when set; else a temporary folder of the test run);
- :class:`Visit` is what a step of the walk (``walk.py``) gets: the driver, the served
  app, the visitor's facts, and small helpers to open a page, fill a field, press a button
  and wait for an element by its ``id``.

Skipped when ``chromium`` or ``chromedriver`` is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.contract.served import Served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
HAVE_BROWSER = bool(CHROMIUM and CHROMEDRIVER)
#: The languages every page is walked and shot in.
LANGUAGES = ("en", "de")
#: Where the screenshots go when ``$USERCORE_SCREENSHOTS`` names no folder (set by conftest).
fallback_screenshots: Path | None = None
#: axe-core's rule sets run over every page: WCAG 2.0/2.1/2.2 A and AA, and best practices.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}
WIDTH = 720  # the pages' column (40rem) and its margins


def chrome(lang: str, profile: Path) -> Any:
    """A headless Chromium speaking ``lang`` (its UI and its ``Accept-Language``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
                 "--hide-scrollbars", "--force-device-scale-factor=1",
                 f"--window-size={WIDTH},800", f"--lang={lang}",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.usercore_lang = lang
    return driver


def screenshot_folder() -> Path:
    """``$USERCORE_SCREENSHOTS``, or the test run's temporary folder for them."""
    configured = os.environ.get("USERCORE_SCREENSHOTS")
    folder = Path(configured) if configured else fallback_screenshots
    if folder is None:
        raise RuntimeError("no folder for the screenshots (USERCORE_SCREENSHOTS)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(driver: Any, name: str) -> Path:
    """The whole page (beyond the window) as ``<name>.<lang>.png``; its path. A line of
    ``index.jsonl`` beside it names the page (file, name, language, title, path), in the
    order they were shot: the docs site's gallery (docs/_scripts/screenshots.py) reads it."""
    from urllib.parse import urlsplit

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "fromSurface": True})
    folder = screenshot_folder()
    path = folder / f"{name}.{driver.usercore_lang}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    entry = {"file": path.name, "name": name, "lang": driver.usercore_lang,
             "title": driver.title, "path": urlsplit(driver.current_url).path}
    with (folder / "index.jsonl").open("a", encoding="utf-8") as index:
        index.write(json.dumps(entry) + "\n")  # one short write: whole lines between workers
    return path


def violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page shown."""
    from axe_core_python.selenium import Axe

    found: list[dict[str, Any]] = Axe().run(driver, options=AXE_OPTIONS)["violations"]
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violation and per element it was found on."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} "
                     f"<{violation.get('helpUrl', '')}>")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def check_page(driver: Any, name: str) -> Path:
    """Shoot the page shown as ``<name>.<lang>.png``, then run axe-core over it: fails
    listing every violation. Returns the screenshot's path."""
    path = screenshot(driver, name)
    found = violations(driver)
    assert not found, (f"axe-core: {len(found)} violation(s) on {name} ({driver.usercore_lang},"
                       f" {driver.current_url}; screenshot {path}):\n{describe(found)}")
    return path


@dataclass
class Visit:
    """One visitor's walk: what the steps share. Steps add facts to ``facts``."""

    driver: Any
    served: Served
    lang: str
    email: str
    password: str
    facts: dict[str, Any] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    #: Seconds each step of the walk took, by its name.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def by(self) -> Any:
        from selenium.webdriver.common.by import By

        return By

    def url(self, path: str) -> str:
        return f"{self.served.base_url}{path}"

    def open(self, path: str) -> None:
        """Go to ``path`` of the served app."""
        self.driver.get(self.url(path))

    def wait_for(self, element_id: str, timeout: float = 20) -> Any:
        """The element ``element_id`` once it is on the page."""
        from selenium.webdriver.support import expected_conditions as until
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(
            until.presence_of_element_located((self.by.ID, element_id)))

    def element(self, element_id: str) -> Any:
        return self.driver.find_element(self.by.ID, element_id)

    def has(self, element_id: str) -> bool:
        return bool(self.driver.find_elements(self.by.ID, element_id))

    def fill(self, element_id: str, value: str) -> None:
        """Empty the field ``element_id`` and type ``value``."""
        field = self.element(element_id)
        field.clear()
        field.send_keys(value)

    def press(self, button_id: str, then: str | None = None) -> None:
        """Click ``button_id``; wait for the next page (its element ``then``, when given)."""
        self.next_page(self.element(button_id).click, then)

    def next_page(self, action: Callable[[], Any], then: str | None = None) -> None:
        """Do ``action`` (a click, a key) and wait until another page is shown (and its
        element ``then``)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        # a mark on this page's window object: gone once the next page is loaded
        self.driver.execute_script("window.usercoreLeaving = true;")
        action()
        WebDriverWait(self.driver, 20, ignored_exceptions=(WebDriverException,)).until(
            lambda driver: driver.execute_script(
                "return !window.usercoreLeaving && document.readyState === 'complete';"))
        if then:
            self.wait_for(then)

    def tab_to(self, element_id: str, limit: int = 30) -> Any:
        """Press Tab until the element ``element_id`` has the focus (keyboard only); it."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        for _ in range(limit):
            focused = self.driver.switch_to.active_element
            if focused.get_attribute("id") == element_id:
                return focused
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
        raise AssertionError(f"Tab never reached #{element_id} ({limit} presses)")

    def type_keys(self, *keys: str) -> None:
        """Type ``keys`` into the focused element."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()

    def set_value(self, element_id: str, value: str) -> None:
        """Set the value of ``element_id`` as a script does (a ``datetime-local`` field,
        whose typed form depends on the browser's locale)."""
        self.driver.execute_script("arguments[0].value = arguments[1];",
                                   self.element(element_id), value)

    def refused(self, field_id: str, value: str, button_id: str,
                shot: str | None = None) -> str:
        """Type ``value`` into ``field_id`` and send it with ``button_id``: the page refuses
        it next to the field (:meth:`refused_at`), and is checked as ``shot`` when given.
        The error's text."""
        self.fill(field_id, value)
        self.press(button_id, then=f"{field_id}-error")
        text = self.refused_at(field_id)
        if shot is not None:
            self.check(shot)
        return text

    def refused_at(self, field_id: str) -> str:
        """The page shows an error next to ``field_id``, tied to it (``aria-invalid``,
        ``aria-describedby``); its text."""
        field = self.element(field_id)
        assert field.get_attribute("aria-invalid") == "true" or \
            field.get_attribute("type") == "checkbox", f"#{field_id} is not marked invalid"
        assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "").split()
        text: str = self.element(f"{field_id}-error").text
        assert text, f"#{field_id}-error is empty"
        return text

    def mail_link(self, email: str, path: str, *, after: int = 0) -> str:
        """The link to ``path`` in the newest mail to ``email`` (beyond its first ``after``
        mails), as a path and query of the served app; waits for the mail to arrive (some
        are sent after the answer)."""
        import re

        from selenium.webdriver.support.ui import WebDriverWait

        pattern = re.compile(rf"(?:https?://[^/\s]+)?({re.escape(path)}\?[^\s\"'<>]+)")

        def find(_driver: Any) -> str | None:
            for mail in reversed(self.served.mails_to(email)[after:]):
                body = mail.get_body(("plain",)) if mail.is_multipart() else mail
                match = pattern.search(body.get_content())  # type: ignore[union-attr]
                if match:
                    return match.group(1)
            return None

        subjects = [str(mail["Subject"]) for mail in self.served.mails_to(email)]
        link: str = WebDriverWait(self.driver, 30).until(
            find, f"no link to {path} in a mail to {email} (mails before the wait: {subjects})")
        return link

    def totp_code(self, secret: str) -> str:
        """A code of the authenticator app for a time step not used yet (every code works
        once: the server refuses a step at or before the last one used); waits for the
        next step when the one ahead is used already."""
        import time

        import pyotp
        from selenium.webdriver.support.ui import WebDriverWait

        last = self.facts.get("totp_step", -1)
        WebDriverWait(self.driver, 40, poll_frequency=0.5).until(
            lambda _driver: int(time.time() // 30) + 1 > last)
        step = max(int(time.time() // 30), last + 1)
        self.facts["totp_step"] = step
        return str(pyotp.TOTP(secret).at(step * 30))

    def check(self, name: str, *, in_lang: bool = True) -> Path:
        """:func:`check_page`; and (``in_lang``) the page is in the walk's language."""
        lang = self.driver.find_element(self.by.TAG_NAME, "html").get_attribute("lang")
        assert lang == self.lang or not in_lang, \
            f"{name}: <html lang={lang!r}>, the browser asked for {self.lang}"
        self.checked.append(name)
        return check_page(self.driver, name)

    def path(self) -> str:
        """The path (and query) of the page shown."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
