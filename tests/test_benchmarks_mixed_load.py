"""``benchmarks/mixed_load.py`` keeps working: a 3-second run that must find nothing lost.

On PostgreSQL (``USERCORE_TEST_DATABASE_URL``) the script runs against the test database,
whose schema the ``_schema`` fixture made; else on a temporary SQLite file (``--sqlite``).
It runs in a subprocess: the script imports example_app and sets environment variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPT = REPOSITORY / "benchmarks" / "mixed_load.py"


def run_script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPOSITORY, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_short_mixed_load_loses_nothing(database_url: str, is_postgres: bool,
                                          _schema: None) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    mode = ["--sqlite"]
    if is_postgres:
        env["DATABASE_URL"], mode = database_url, []
    result = run_script(*mode, "--duration", "3", "--users", "12", "--clients", "2",
                        "--sample", "10", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: OK (no 5xx, nothing lost)" in result.stdout
    for operation in ("POST /v2/authenticate", "PUT /v2/users/self/personal-information",
                      "PUT /v2/users/self/sessions", "PUT /v2/logout"):
        assert operation in result.stdout


def test_sqlite_is_refused_without_the_switch() -> None:
    env = {**os.environ, "DATABASE_URL": "sqlite:///never-created.db"}
    result = run_script("--duration", "1", env=env)
    assert result.returncode == 2
    assert "set DATABASE_URL=postgresql" in result.stderr
