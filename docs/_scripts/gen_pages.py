"""mkdocs-gen-files script: write the generated operation pages into the build, and the
screenshots page (docs/screenshots.md with the browser tests' screenshots, screenshots.py).

The pages come from ``operations.py`` beside this file (see its docstring); nothing is
written into docs/ itself. ``operations/SUMMARY.md`` is the navigation of the section
(mkdocs-literate-nav reads it) and is not built as a page of its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mkdocs_gen_files
from mkdocs.structure.files import InclusionLevel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from operations import OUT_DIR, load_example, render_pages
from screenshots import OUT_DIR as SHOTS_DIR
from screenshots import PAGE as SHOTS_PAGE
from screenshots import folder, render

spec, capabilities = load_example()
for name, text in render_pages(spec, capabilities).items():
    with mkdocs_gen_files.open(name, "w") as page:
        page.write(text)

summary = mkdocs_gen_files.FilesEditor.current().files.get_file_from_path(f"{OUT_DIR}/SUMMARY.md")
if summary is not None:
    summary.inclusion = InclusionLevel.EXCLUDED

# The screenshots page: the browser tests' screenshots, when this build finds them
# (screenshots.py beside this file).
shots_folder = folder()
shots_text, shot_files = render((Path(__file__).resolve().parents[1] / SHOTS_PAGE).read_text(
    encoding="utf-8"), shots_folder)
with mkdocs_gen_files.open(SHOTS_PAGE, "w") as page:
    page.write(shots_text)
for name in shot_files:
    with mkdocs_gen_files.open(f"{SHOTS_DIR}/{name}", "wb") as image:
        image.write((shots_folder / name).read_bytes())
