"""example_app under gunicorn with 2 workers on PostgreSQL + Redis: one login limit in total.

Needs both servers (``USERCORE_TEST_DATABASE_URL`` on PostgreSQL and ``USERCORE_TEST_REDIS_URL``,
both started by ``.ci/run``); skipped otherwise. The workers are separate processes, so only
the shared Redis storage can make a limit of N hold across them: the N+1th login is a 429
whichever worker takes it. The access log (with the worker's pid) shows that both answered.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.test_shared_storage import WRONG
from tests.host_support import stop as stop_process
from tests.redis_support import redis_url_fixture  # noqa: F401 (the redis_url fixture)

REPOSITORY = Path(__file__).resolve().parents[2]
LIMIT = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gunicorn(database_url: str, is_postgres: bool, _schema: None,
             redis_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """example_app under gunicorn (2 sync workers): its base URL and its access log."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")
    port, access_log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": database_url,
           "SECRET_KEY": "gunicorn-test-0123456789abcdef",
           "USERCORE_MAIL_OUTBOX": str(tmp_path / "outbox"),
           "EXAMPLE_USERCORE_RATELIMIT_STORAGE_URI": redis_url,
           "EXAMPLE_USERCORE_RATELIMIT_AUTH": f"{LIMIT}/minute"}
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s",
               "--error-logfile", str(tmp_path / "error.log"), "example_app:create_app()"]
    server = subprocess.Popen(command, cwd=REPOSITORY, env=env)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_both_workers(base_url, access_log, server)
        yield base_url, access_log
    finally:
        stop_process(server)


def worker_pids(access_log: Path, path: str) -> set[str]:
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return {line.split()[0] for line in lines if line.endswith(f" {path}")}


def wait_for_both_workers(base_url: str, access_log: Path, server: subprocess.Popen[bytes]) -> None:
    """Until both workers have answered ``GET /`` (requests sent in parallel keep one busy)."""
    deadline = time.monotonic() + 90
    with ThreadPoolExecutor(4) as pool:
        while len(worker_pids(access_log, "/")) < 2:
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "the workers did not both start"
            list(pool.map(lambda _: _get_index(base_url), range(4)))
            time.sleep(0.2)


def _get_index(base_url: str) -> int:
    try:
        return httpx.get(f"{base_url}/", timeout=10).status_code
    except httpx.TransportError:
        return 0


def attempt(base_url: str, number: int) -> int:
    """One wrong login, on a connection of its own, for an address of its own (no lockout)."""
    response = httpx.post(f"{base_url}/v2/authenticate", timeout=30,
                          json={"email": f"nobody{number}@example.com", "password": WRONG})
    return response.status_code


def test_login_limit_holds_in_total_across_workers(gunicorn: tuple[str, Path]) -> None:
    base_url, access_log = gunicorn
    with ThreadPoolExecutor(LIMIT) as pool:
        statuses = list(pool.map(lambda n: attempt(base_url, n), range(LIMIT)))
    assert statuses == [401] * LIMIT
    assert attempt(base_url, LIMIT) == 429
    assert attempt(base_url, LIMIT + 1) == 429
    # both processes counted: without the shared storage each would allow LIMIT on its own
    assert len(worker_pids(access_log, "/v2/authenticate")) == 2
