"""Two processes migrating one empty database at once (the workers of ``gunicorn -w 2``, each
calling ``upgrade()`` from example_app's factory): both succeed, one after the other.

On SQLite (a file) by default, on PostgreSQL with ``USERCORE_TEST_DATABASE_URL`` (a schema of
its own, ``host_support.empty_database``). Before the lock, the second process failed on
"table ... already exists" (or a duplicate version row) in most tries on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import String, column, create_engine, select, table

from flask_usercore.migrations import VERSION_TABLE, shipped_heads
from tests.host_support import REPOSITORY, TIMEOUT, empty_database, host_env

#: Both processes import everything first, then call create_app() at the same instant.
RACER = """
import os, sys, time
from example_app import create_app
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
create_app()
print("migrated")
"""


def race(url: str, directory: Path, processes: int = 2) -> list[subprocess.CompletedProcess[str]]:
    env = host_env(REPOSITORY, DATABASE_URL=url, SECRET_KEY="race-test-0123456789abcdef",
                   USERCORE_MAIL_OUTBOX=str(directory / "outbox"))
    start = f"{time.time() + 3.0:.3f}"  # after every import
    racers = [subprocess.Popen([sys.executable, "-c", RACER, start], cwd=directory, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(processes)]
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=TIMEOUT)
        results.append(subprocess.CompletedProcess(racer.args, racer.returncode, out, err))
    return results


def test_two_processes_migrate_one_empty_database_at_once(database_url: str,
                                                          tmp_path: Path) -> None:
    for attempt in range(2):
        directory = tmp_path / f"try{attempt}"
        directory.mkdir()
        with empty_database(database_url, directory) as url:
            results = race(url, directory)
            for result in results:
                assert result.returncode == 0, result.stderr[-3000:]
                assert result.stdout.strip() == "migrated"
            engine = create_engine(url)
            with engine.connect() as connection:
                stored = connection.scalars(select(column("version_num", String))
                                            .select_from(table(VERSION_TABLE))).all()
            engine.dispose()
            assert set(stored) == shipped_heads() and len(stored) == 1
