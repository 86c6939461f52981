"""docs/configuration.md lists every ``USERCORE_*`` key the config reads, and no other."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from flask_usercore.config import UserCoreConfig

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_key_has_a_row_in_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## All keys"):text.index("\n## ", text.index("## All keys") + 1)]
    documented = set()
    for row in re.findall(r"^\| (`USERCORE_[^|]+)\|", table, re.MULTILINE):
        documented |= set(re.findall(r"`(USERCORE_[A-Z0-9_]+)`", row))
    keys = {f"USERCORE_{field.name.upper()}" for field in dataclasses.fields(UserCoreConfig)}
    assert sorted(keys - documented) == []
    assert sorted(documented - keys) == []
