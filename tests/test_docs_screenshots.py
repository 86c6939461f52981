"""The docs site's screenshots page (docs/_scripts/screenshots.py): the browser tests'
screenshots become a gallery, or a note when a build finds none; the harness writes the
index the gallery reads."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.browser import harness
from tests.test_docs_pages import _load

screenshots = _load("screenshots")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


class _ShotDriver:
    """What :func:`harness.screenshot` asks of a driver: a page's picture, title and URL."""

    def __init__(self, lang: str, title: str, url: str) -> None:
        self.usercore_lang, self.title, self.current_url = lang, title, url

    def execute_cdp_cmd(self, command: str, args: dict[str, object]) -> dict[str, str]:
        assert command == "Page.captureScreenshot" and args["captureBeyondViewport"]
        return {"data": base64.b64encode(PNG).decode()}


@pytest.fixture
def shots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("USERCORE_SCREENSHOTS", str(tmp_path))
    for lang, title in (("en", "Sign in · example_app"), ("de", "Anmelden · example_app")):
        harness.screenshot(_ShotDriver(lang, title, "http://127.0.0.1:1/account/sign-in?x=1"),
                           "sign-in")
    harness.screenshot(_ShotDriver("en", "Profile · example_app",
                                   "http://127.0.0.1:1/account/profile"), "profile")
    harness.screenshot(_ShotDriver("en", "Profile · example_app",
                                   "http://127.0.0.1:1/account/profile"), "failed-profile")
    harness.screenshot(_ShotDriver("en", "Gone", "http://127.0.0.1:1/gone"), "gone")
    (tmp_path / "gone.en.png").unlink()
    return tmp_path


def test_the_gallery_shows_each_page_once_in_its_languages(shots: Path) -> None:
    assert screenshots.folder() == shots
    text, files = screenshots.gallery(shots)
    assert files == ["sign-in.en.png", "sign-in.de.png", "profile.en.png"]
    assert text.index("## Signing in\n") < text.index("### Sign in (sign-in) {#sign-in}") \
        < text.index("## The account and the profile\n") < text.index("### Profile (profile)")
    assert "`/account/sign-in`" in text
    assert "[![Sign in, Deutsch](screenshots/sign-in.de.png)" in text
    assert "failed-" not in text and "gone" not in text
    lines = (shots / "index.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {"file": "sign-in.en.png", "name": "sign-in", "lang": "en",
                                    "title": "Sign in · example_app",
                                    "path": "/account/sign-in"}


def test_without_screenshots_the_page_says_how_to_make_them(tmp_path: Path) -> None:
    text, files = screenshots.gallery(tmp_path / "none")
    assert files == []
    assert text == screenshots.NOTE and "USERCORE_SCREENSHOTS" in text


def test_the_page_has_the_place_of_its_gallery(shots: Path) -> None:
    page = (screenshots.ROOT / "docs" / screenshots.PAGE).read_text()
    assert page.count(screenshots.MARKER) == 1
    rendered, files = screenshots.render(page, shots)
    assert screenshots.MARKER not in rendered and len(files) == 3
    assert screenshots.DEFAULT_FOLDER == screenshots.ROOT / ".ci" / "artifacts" / "screenshots"


def test_the_gallery_groups_the_pages_and_hides_the_ids_of_items(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setenv("USERCORE_SCREENSHOTS", str(tmp_path))
    for name, title, path in (
            ("api-tokens", "API tokens", "/account/api-tokens"),
            ("sign-in", "Sign in", "/account/sign-in"),
            ("api-token-edit", "Edit API token",
             "/account/api-tokens/7b024c87-fc31-4186-b762-ff6880473b15/edit"),
            ("app-revoke", "Disconnect this app", "/account/apps/03a07WxVNFL5jDA3R89ZqhZb/revoke"),
            ("sign-in-code", "Sign in", "/account/sign-in"),
            ("something-new", "New", "/account/new-things")):
        harness.screenshot(_ShotDriver("en", f"{title} · example_app",
                                       f"http://127.0.0.1:1{path}"), name)
    text, files = screenshots.gallery(tmp_path)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## API tokens", "### API tokens (api-tokens) {#api-tokens}",
        "### Edit API token (api-token-edit) {#api-token-edit}",
        "## Signing in", "### Sign in (sign-in) {#sign-in}",
        "### Sign in (sign-in-code) {#sign-in-code}",
        "## Connected apps", "### Disconnect this app (app-revoke) {#app-revoke}",
        "## Other pages", "### New (something-new) {#something-new}"]
    assert "`/account/api-tokens/<id>/edit`" in text
    assert "`/account/apps/<id>/revoke`" in text
    assert "`/account/new-things`" in text and len(files) == 6
