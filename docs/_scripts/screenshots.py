"""The screenshots page of the docs site: the account pages as the browser tests shot them.

The browser tests (``tests/browser/``) save every page they check as ``<name>.<lang>.png``
into ``$USERCORE_SCREENSHOTS`` and add a line per shot to ``index.jsonl`` there (file, name,
language, title, path), in the order the walk reached them. ``.ci/run`` points
``USERCORE_SCREENSHOTS`` to ``.ci/artifacts/screenshots`` before the tests and builds the
docs afterwards. :func:`gallery` turns that folder into Markdown (a section per group of
pages, :data:`GROUPS`, in the order the walk reached them; in it one per page, its
languages side by side, its path with the ids of items as ``<id>``) and names the images
to copy into the site; without screenshots it gives a note saying how to make them.
Nothing here needs MkDocs: ``gen_pages.py`` writes the page and the images into the build,
and the tests call :func:`gallery` directly.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where ``.ci/run`` keeps them (the CI artefact), when ``USERCORE_SCREENSHOTS`` is unset.
DEFAULT_FOLDER = ROOT / ".ci" / "artifacts" / "screenshots"
#: The page of the site that shows them (docs/screenshots.md), and the images' folder.
PAGE = "screenshots.md"
OUT_DIR = "screenshots"
#: Where the gallery goes in docs/screenshots.md.
MARKER = "<!-- gallery -->"
LANGUAGES = {"en": "English", "de": "Deutsch"}
NOTE = f"""!!! note "No screenshots in this build"
    The screenshots come from the browser tests (`tests/browser/`: headless Chromium and
    chromedriver). Build the site after `.ci/run`, or after
    `USERCORE_SCREENSHOTS=.ci/artifacts/screenshots python -m pytest tests/browser`
    (that folder is where this build looks: `{DEFAULT_FOLDER.relative_to(ROOT)}`, or
    `$USERCORE_SCREENSHOTS` when set).
"""
#: The groups of the gallery, by the beginnings of the shots' names (the walk's
#: ``visit.check`` names: ``tests/browser/``); a name no group claims goes to ``OTHER``.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Signing up", ("sign-up", "verify-email")),
    ("Signing in", ("sign-in",)),
    ("The account and the profile", ("home", "profile")),
    ("Changing the password", ("password",)),
    ("Changing the e-mail address", ("email",)),
    ("Two-factor authentication", ("mfa", "recovery-codes")),
    ("Passkeys", ("passkey",)),
    ("Linked providers", ("provider",)),
    ("Sessions", ("session",)),
    ("API tokens", ("api-token",)),
    ("SSH keys", ("ssh-key",)),
    ("Connected apps", ("oauth2", "app")),
    ("A forgotten password", ("forgot-password", "reset-password")),
    ("Deleting the account", ("delete",)),
    ("Errors", ("error",)),
)
OTHER = "Other pages"
#: A path segment that is an item's id (a UUID, a client id): shown as ``<id>``.
ITEM_ID = re.compile(r"/(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{16,}(?=/|$)")


def group_of(name: str) -> str:
    """The gallery's group of the shot ``name``."""
    for title, beginnings in GROUPS:
        if name.startswith(beginnings):
            return title
    return OTHER


def generic_path(path: str) -> str:
    """``path`` with each item's id as ``<id>``."""
    return ITEM_ID.sub("/<id>", path)


@dataclass
class Shot:
    """One page of the walk and its screenshot file per language."""

    name: str
    title: str
    path: str
    files: dict[str, str] = field(default_factory=dict)


def folder() -> Path:
    """``$USERCORE_SCREENSHOTS``, else ``.ci/artifacts/screenshots``."""
    configured = os.environ.get("USERCORE_SCREENSHOTS")
    return Path(configured) if configured else DEFAULT_FOLDER


def shots(where: Path) -> list[Shot]:
    """The pages shot in ``where``, in the order first shot; failures' shots left out, and
    lines whose file is gone."""
    index = where / "index.jsonl"
    found: dict[str, Shot] = {}
    if not index.is_file():
        return []
    for line in index.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        name, lang, file = entry.get("name", ""), entry.get("lang", ""), entry.get("file", "")
        if (not name or name.startswith("failed-") or lang not in LANGUAGES
                or not (where / file).is_file()):
            continue
        shot = found.setdefault(name, Shot(name, "", entry.get("path", "")))
        shot.files.setdefault(lang, file)
        if lang == "en" or not shot.title:
            shot.title = str(entry.get("title", "")).split(" · ")[0].strip() or name
    return list(found.values())


def gallery(where: Path) -> tuple[str, list[str]]:
    """The gallery's Markdown and the image files (names in ``where``) it shows; the note
    and no file when there is nothing to show."""
    pages = shots(where)
    if not pages:
        return NOTE, []
    groups: dict[str, list[Shot]] = {}
    for shot in pages:
        groups.setdefault(group_of(shot.name), []).append(shot)
    parts, files = [], []
    for group, members in groups.items():
        parts.append(f"## {group}\n")
        for shot in members:
            _show(shot, parts, files)
    return "\n".join(parts), files


def _show(shot: Shot, parts: list[str], files: list[str]) -> None:
    """One page's heading, path and images (appended to ``parts``; its files to
    ``files``)."""
    parts.append(f"### {shot.title} ({shot.name}) {{#{shot.name}}}\n\n"
                 f"`{generic_path(shot.path)}`\n")
    for lang, label in LANGUAGES.items():
        if lang in shot.files:
            files.append(shot.files[lang])
            parts.append(f"[![{shot.title}, {label}]({OUT_DIR}/{shot.files[lang]})"
                         f"{{ width=\"360\" loading=lazy }}]({OUT_DIR}/{shot.files[lang]})")
    parts.append("")


def render(page: str, where: Path) -> tuple[str, list[str]]:
    """docs/screenshots.md (``page``) with its gallery in place, and the images to copy."""
    text, files = gallery(where)
    return page.replace(MARKER, text), files
