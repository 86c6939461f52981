"""The screenshots page of the docs site: the account pages as the browser tests shot them.

The browser tests (``tests/browser/``) save every page they check as ``<name>.<lang>.png``
into ``$USERCORE_SCREENSHOTS`` and add a line per shot to ``index.jsonl`` there (file, name,
language, title, path), in the order the walk reached them. ``.ci/run`` points
``USERCORE_SCREENSHOTS`` to ``.ci/artifacts/screenshots`` before the tests and builds the
docs afterwards. :func:`gallery` turns that folder into Markdown (one section per page, its
languages side by side) and names the images to copy into the site; without screenshots it
gives a note saying how to make them. Nothing here needs MkDocs: ``gen_pages.py`` writes the
page and the images into the build, and the tests call :func:`gallery` directly.
"""

from __future__ import annotations

import json
import os
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
    parts, files = [], []
    for shot in pages:
        parts.append(f"## {shot.title} ({shot.name}) {{#{shot.name}}}\n\n`{shot.path}`\n")
        for lang, label in LANGUAGES.items():
            if lang in shot.files:
                files.append(shot.files[lang])
                parts.append(f"[![{shot.title}, {label}]({OUT_DIR}/{shot.files[lang]})"
                             f"{{ width=\"360\" loading=lazy }}]({OUT_DIR}/{shot.files[lang]})")
        parts.append("")
    return "\n".join(parts), files


def render(page: str, where: Path) -> tuple[str, list[str]]:
    """docs/screenshots.md (``page``) with its gallery in place, and the images to copy."""
    text, files = gallery(where)
    return page.replace(MARKER, text), files
