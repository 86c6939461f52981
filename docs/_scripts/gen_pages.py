"""mkdocs-gen-files script: write the generated operation pages into the build.

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

spec, capabilities = load_example()
for name, text in render_pages(spec, capabilities).items():
    with mkdocs_gen_files.open(name, "w") as page:
        page.write(text)

summary = mkdocs_gen_files.FilesEditor.current().files.get_file_from_path(f"{OUT_DIR}/SUMMARY.md")
if summary is not None:
    summary.inclusion = InclusionLevel.EXCLUDED
