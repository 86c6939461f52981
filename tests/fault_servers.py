"""Servers of a test's own, which the test may stop, hang and start again (fault tests, and
``benchmarks/faults.py``).

:class:`OwnRedis`: Debian's ``redis-server`` on a free port, no persistence, stopped by its pid;
:meth:`OwnRedis.hang` stops it with SIGSTOP (connections are accepted, nothing answers).

:class:`ThrowawayPostgres`: Debian's server binaries (``/usr/lib/postgresql/*/bin``), a
temporary directory under /tmp, a free port on 127.0.0.1, trust authentication for the user
``usercore``; run as ``postgres`` when the tests run as root (the server refuses root).
Stopped by its pid and removed afterwards. The ``throwaway_postgres`` and ``own_redis``
fixtures skip without the binaries.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.host_support import free_port, stop


def _server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class ThrowawayPostgres:
    """initdb, start, stop (fast shutdown), start again; :meth:`remove` at the end."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.directory = Path(tempfile.mkdtemp(prefix="usercore-pg-", dir="/tmp"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.directory, self.user)
        self.url = f"postgresql+psycopg://usercore@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "usercore", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, cwd=self.directory, check=True, capture_output=True,
                       timeout=120)

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-w",
                  "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        """A fast shutdown (open connections are cut), waiting until the server is gone."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().split()[0])
            try:
                os.kill(pid, signal.SIGINT)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("needs PostgreSQL's server binaries (Debian's postgresql, see .ci/run)")
    server = ThrowawayPostgres(binaries)
    try:
        server.start()
        yield server
    finally:
        server.remove()


class OwnRedis:
    """A redis-server of this test's own (stopped by its pid)."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def hang(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.resume()
            stop(self.proc, timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (Debian's redis-server package, see .ci/run)")
    server = OwnRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()

