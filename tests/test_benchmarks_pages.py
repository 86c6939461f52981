"""``benchmarks/pages.py`` keeps working: a tiny run prints both pages and the ratios (in a
subprocess on a temporary SQLite file: the script starts gunicorn servers and imports
example_app)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_a_tiny_run_prints_the_pages_and_the_ratios() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(REPOSITORY / "benchmarks" / "pages.py"), "--requests", "40",
         "--rounds", "1", "--users", "5", "--concurrency", "2", "--workers", "1"],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 inputs and 10 links each" in result.stdout
    for line in ("usercore GET /account/profile", "bare     GET /profile",
                 "bare-wtf GET /profile-wtf", "ratio usercore/bare (median",
                 "ratio usercore/bare-wtf"):
        assert line in result.stdout, result.stdout
