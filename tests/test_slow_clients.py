"""Slow clients against the set-up docs/deployment.md recommends without a buffering proxy:
gunicorn's threaded workers (``--worker-class gthread --threads 8``).

Four clients hold connections open (two trickle a request body, one byte every 200 ms; two
connect and send nothing); meanwhile every other request is answered at once. With the sync
workers of before, four such clients took both workers and every answer waited for them (35 s
in the issue's run). example_app on a SQLite file; gunicorn is stopped by its pid.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.host_support import REPOSITORY, free_port, host_env
from tests.host_support import stop as stop_process


def documented_flags() -> list[str]:
    """The gthread command line of docs/deployment.md, up to its ``--bind`` (the test binds a
    port of its own)."""
    text = (REPOSITORY / "docs" / "deployment.md").read_text(encoding="utf-8")
    found = re.search(r"gunicorn (--worker-class gthread[^\n]*?)\s*\\\n\s*--bind", text)
    assert found is not None, "docs/deployment.md lost its gthread command line"
    return shlex.split(found.group(1))


#: The command line of docs/deployment.md ("gunicorn"), with a port of this test's.
GUNICORN = documented_flags()


def trickle(port: int, stop: threading.Event) -> None:
    """A POST whose body of 200 bytes comes one byte every 200 ms."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"POST /v2/authenticate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/json\r\nContent-Length: 200\r\n\r\n")
        while not stop.wait(0.2):
            try:
                conn.sendall(b" ")
            except OSError:
                return


def idle(port: int, stop: threading.Event) -> None:
    """A connection that never sends a byte."""
    with socket.create_connection(("127.0.0.1", port)):
        stop.wait(30)


def test_threaded_workers_keep_answering_while_four_clients_trickle_or_idle(
        tmp_path: Path) -> None:
    port = free_port()
    env = host_env(REPOSITORY, DATABASE_URL=f"sqlite:///{tmp_path / 'slow.db'}",
                   SECRET_KEY="slow-clients-0123456789abcdef",
                   USERCORE_MAIL_OUTBOX=str(tmp_path / "outbox"))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}",
         "--error-logfile", str(tmp_path / "error.log"), "example_app:create_app()"],
        cwd=REPOSITORY, env=env)
    stop = threading.Event()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v2/password-policies/mittwald", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "error.log").read_text()
            time.sleep(0.1)
        slow = [threading.Thread(target=body, args=(port, stop), daemon=True)
                for body in (trickle, trickle, idle, idle)]
        for thread in slow:
            thread.start()
        time.sleep(0.5)  # all four connected and held
        took = []
        for _ in range(10):  # a new connection each: a client of its own
            began = time.monotonic()
            response = httpx.get(f"{base}/v2/password-policies/mittwald", timeout=10)
            took.append(time.monotonic() - began)
            assert response.status_code == 200
        assert max(took) < 1.0, took
    finally:
        stop.set()
        stop_process(server)
