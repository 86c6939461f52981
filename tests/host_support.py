"""Host apps in a temporary directory, driven as their developers drive them: the ``flask``
and ``alembic`` command lines in subprocesses, ``flask run`` on a free port.

The subprocesses import this checkout's ``flask_usercore`` (it comes first on their
``PYTHONPATH``), then the host's own modules from its directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url
from sqlalchemy.schema import CreateSchema, DropSchema

REPOSITORY = Path(__file__).resolve().parents[1]
#: A subprocess that hangs fails the test instead of the whole run.
TIMEOUT = 120


def host_env(directory: Path, **extra: str) -> dict[str, str]:
    """The environment of a host's command: this checkout's package, then the host's."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "USERCORE_", "EXAMPLE_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(REPOSITORY), str(directory)]),
               PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def run(directory: Path, *args: str, env: Mapping[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` (``flask ...``, ``alembic ...``) in ``directory``; with ``check``,
    a non-zero exit fails with both outputs shown."""
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=directory, env=dict(env or host_env(directory)),
        capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited with {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def shell(directory: Path, command: str, *, check: bool = True
          ) -> subprocess.CompletedProcess[str]:
    """One shell command line, as a reader types it, in ``directory``."""
    result = subprocess.run(["bash", "-c", command], cwd=directory, capture_output=True,
                            text=True, timeout=TIMEOUT, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{command!r} exited with {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop ``process`` (one this test started) with ``sig``; SIGKILL after ``timeout`` s."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def served(directory: Path, app: str, env: Mapping[str, str] | None = None,
           ready_path: str = "/v2/openapi.json") -> Iterator[str]:
    """``flask --app APP run`` in ``directory`` on a free port; yields ``127.0.0.1:PORT``
    once ``ready_path`` answers; the server is stopped by its process id afterwards."""
    port = free_port()
    log = directory / f"server-{port}.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # stopped below, whatever happens
            [sys.executable, "-m", "flask", "--app", app, "run", "--port", str(port)],
            cwd=directory, env=dict(env or host_env(directory)), stdout=output,
            stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{address}{ready_path}", timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"flask run did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield address
    finally:
        stop(server, timeout=10)


@contextmanager
def empty_database(database_url: str, directory: Path) -> Iterator[str]:
    """A database URL with nothing in it: a SQLite file in ``directory``, or on PostgreSQL
    (``USERCORE_TEST_DATABASE_URL``) a schema of its own, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{directory / 'host.db'}"
        return
    schema = f"usercore_host_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()
