"""flask-usercore against a bare Flask app, side by side, under gunicorn, in one run.

What it does (see ``benchmarks/README.md`` for the figures measured with it):

1. Creates the schema through ``example_app:create_app()`` (which runs the library's
   migrations) in a temporary SQLite file, or in the database of ``DATABASE_URL``.
2. Starts two gunicorn servers on 127.0.0.1 (free ports, 2 sync workers each): the example
   app, and ``bare_app.py`` (plain Flask + Flask-SQLAlchemy doing the same token-hash lookup
   and JSON reply by hand) on the same database.
3. Seeds: one user through the real API (register, the code from the mail outbox, verify,
   login), then ``--users`` more users with one session each through the library's models;
   every session token is also stored (as the same SHA-256) in the bare app's table, so both
   apps serve the same rows with the same tokens.
4. Drives both servers in turn, ``--rounds`` times, with a pure-Python load generator
   (``--concurrency`` processes, one ``http.client`` connection each), and prints requests/s,
   p50/p99 latency and the ratio for
   (a) ``GET /v2/users/self`` with a token (target: >= 0.9x the bare app), and
   (b) ``POST /v2/authenticate`` (target: one argon2 verify + < 3 ms; logins are sent one at a
   time so that p50 is the cost of one login, not queueing, and the time of one argon2 verify
   with the same parameters, measured in-process, is subtracted).
5. Stops both servers by their pid and removes the temporary files.

Run from the repository root: ``python benchmarks/bench.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import email.policy
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse battery staple 9"
SECRET_KEY = "benchmark-secret-key-0123456789abcdef"
#: Extra config for the example app: the benchmark logs in hundreds of times from one address,
#: which the default login rate limit (20/minute) would refuse. A limit that is never reached
#: keeps the limiter's work in the measured path.
LIBRARY_CONFIG: dict[str, Any] = {"USERCORE_RATELIMIT_AUTH": "1000000/minute"}

Request = tuple[str, str, bytes | None, dict[str, str]]


# -- the load generator -------------------------------------------------------------------


def _drive(port: int, requests: Sequence[Request], barrier: Barrier,
           results: mp.Queue[Any]) -> None:
    """One client: send ``requests`` in order over one connection (re-opened when closed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    barrier.wait()
    start = time.perf_counter()
    for method, path, body, headers in requests:
        began = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - began)
        statuses[response.status] += 1
        if response.will_close:
            conn.close()
    end = time.perf_counter()
    conn.close()
    results.put((start, end, latencies, dict(statuses)))


@dataclass(frozen=True)
class Result:
    """What one load run measured."""

    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    #: CPU seconds the server's workers spent (Linux /proc), None where unknown.
    server_cpu: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float | None:
        """Server CPU milliseconds per request."""
        return None if self.server_cpu is None else self.server_cpu / self.requests * 1000

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def workers_cpu(master: int) -> float | None:
    """CPU seconds (user + system) used so far by the children of process ``master``.

    Read from ``/proc`` (Linux); None elsewhere. Unlike requests/s this hardly moves when
    other programs compete for the CPU, so it is printed beside the throughput.
    """
    total, found = 0, False
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])
                found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def load(port: int, requests: Sequence[Request], concurrency: int,
         master: int | None = None) -> Result:
    """Send ``requests`` with ``concurrency`` client processes; wall time from first to last.

    With ``master`` (the gunicorn pid), also the CPU time its workers spent meanwhile.
    """
    cpu_before = workers_cpu(master) if master else None
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(concurrency)
    results: mp.Queue[Any] = ctx.Queue()
    shares = [list(requests[i::concurrency]) for i in range(concurrency)]
    procs = [ctx.Process(target=_drive, args=(port, share, barrier, results))
             for share in shares]
    for proc in procs:
        proc.start()
    parts = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    cpu_after = workers_cpu(master) if master else None
    server_cpu = (cpu_after - cpu_before
                  if cpu_before is not None and cpu_after is not None else None)
    start = min(p[0] for p in parts)
    end = max(p[1] for p in parts)
    statuses: Counter[int] = Counter()
    for part in parts:
        statuses.update(part[3])
    return Result(len(requests), end - start, [x for p in parts for x in p[2]], dict(statuses),
                  server_cpu)


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM to the gunicorn master (by pid), which stops its workers."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(name: str, app: str, chdir: Path, env: dict[str, str], workers: int,
                 log: Path) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
           "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning",
           "--error-logfile", str(log), app]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(name, port, proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log}:\n"
                               + log.read_text(errors="replace"))
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start listening on port {port}")


def call(port: int, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One JSON request; returns the status and the decoded body (None when empty)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                   **(headers or {})})
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw) if raw else None


# -- seeding ------------------------------------------------------------------------------


def code_from_outbox(outbox: Path, to: str) -> str:
    """The verification code of the newest mail to ``to`` in the outbox folder."""
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to and isinstance(message, EmailMessage):
            part = message.get_body(("plain",)) if message.is_multipart() else message
            match = re.search(r"code is: (\w+)", part.get_content()) if part else None
            if match:
                return match.group(1)
    raise RuntimeError(f"no verification mail to {to} in {outbox}")


def seed_through_api(port: int, outbox: Path, email_address: str) -> str:
    """Register, verify (code from the outbox) and log in over HTTP; returns the token."""
    status, body = call(port, "POST", "/v2/register", {
        "email": email_address, "password": PASSWORD, "nickname": "bench0",
        "person": {"firstName": "Ada", "lastName": "Lovelace"}, "company": "Benchmarks Ltd",
        "location": "London", "countryCode": "GB", "webUrl": "https://example.com/ada"})
    assert status == 201, (status, body)
    user_id = body["userId"]
    code = code_from_outbox(outbox, email_address)
    status, body = call(port, "POST", "/v2/verify-registration",
                        {"email": email_address, "userId": user_id, "token": code})
    assert status == 200, (status, body)
    status, body = call(port, "POST", "/v2/authenticate",
                        {"email": email_address, "password": PASSWORD})
    assert status == 200, (status, body)
    token: str = body["token"]
    return token


def seed_bulk(app: Any, bare_models: Any, run: str, count: int) -> tuple[list[str], list[str]]:
    """``count`` verified users with one live session each, in both apps' tables.

    Users are rows of the library's models (one argon2 hash made with the configured
    parameters, shared by all: a bulk seed cannot afford one argon2 hash per user).
    Returns their e-mail addresses and session tokens.
    """
    from sqlalchemy import insert

    from flask_usercore.models import Credential, CredentialKind, User, utcnow
    from flask_usercore.security.tokens import hash_token, new_token

    deps = app.extensions["usercore"].deps
    password_hash = deps.hasher.hash(PASSWORD)
    now = utcnow()
    expires = now + dt.timedelta(seconds=deps.config.access_token_ttl)
    emails, tokens = [], []
    session = deps.session
    for first in range(0, count, 1000):
        users, creds, bare_creds = [], [], []
        for i in range(first, min(count, first + 1000)):
            user_id, token = uuid.uuid4(), new_token()
            address = f"bench-{run}-{i}@example.com"
            emails.append(address)
            tokens.append(token)
            users.append({
                "id": user_id, "email": address, "password_hash": password_hash,
                "first_name": f"First{i}", "last_name": f"Last{i}", "title": "ms",
                "nickname": f"b{run}{i}", "display_name": f"Bench user {i}",
                "company": "Benchmarks Ltd", "location": "Berlin", "country_code": "DE",
                "web_url": f"https://example.com/u/{i}", "account_type": "user",
                "email_verified_at": now, "password_updated_at": now, "created_at": now})
            creds.append({"id": uuid.uuid4(), "user_id": user_id, "kind": CredentialKind.SESSION,
                          "token_hash": hash_token(token), "refresh_hash": hash_token(new_token()),
                          "expires_at": expires, "last_used_at": now, "created_at": now})
            bare_creds.append({"token_hash": hash_token(token), "user_id": user_id})
        session.execute(insert(User), users)
        session.execute(insert(Credential), creds)
        session.execute(insert(bare_models.BareCredential), bare_creds)
        session.commit()
    return emails, tokens


def mirror_token(app: Any, bare_models: Any, token: str) -> None:
    """Give the bare app the session a real login issued (same user, same token hash)."""
    from sqlalchemy import insert, select

    from flask_usercore.models import Credential
    from flask_usercore.security.tokens import hash_token

    session = app.extensions["usercore"].deps.session
    user_id = session.scalar(select(Credential.user_id)
                             .where(Credential.token_hash == hash_token(token)))
    session.execute(insert(bare_models.BareCredential),
                    [{"token_hash": hash_token(token), "user_id": user_id}])
    session.commit()


def count_queries(app: Any, token: str) -> int:
    """SQL statements one ``GET /v2/users/self`` runs (in-process, test client)."""
    from sqlalchemy import event

    engine = app.extensions["sqlalchemy"].engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = app.test_client().get("/v2/users/self", headers={"x-access-token": token})
        assert response.status_code == 200, response.json
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def argon2_verify_seconds(app: Any, samples: int = 30) -> float:
    """Median time of one argon2 verify with the app's configured parameters, in-process."""
    hasher = app.extensions["usercore"].deps.hasher
    password_hash = hasher.hash(PASSWORD)
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        assert hasher.verify(password_hash, PASSWORD)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


# -- the runs -----------------------------------------------------------------------------


def get_requests(path: str, tokens: Sequence[str], n: int) -> list[Request]:
    return [("GET", path, None, {"x-access-token": tokens[i % len(tokens)]}) for i in range(n)]


def login_requests(path: str, emails: Sequence[str], n: int) -> list[Request]:
    return [("POST", path, json.dumps({"email": emails[i % len(emails)], "password": PASSWORD})
             .encode(), {"Content-Type": "application/json"}) for i in range(n)]


def check(result: Result, name: str) -> None:
    if set(result.statuses) != {200}:
        raise RuntimeError(f"{name}: unexpected statuses {result.statuses}")


def row(name: str, result: Result) -> str:
    cpu = f"   server CPU {result.cpu_ms:6.3f} ms/req" if result.cpu_ms is not None else ""
    return (f"  {name:<34} {result.rps:8.1f} req/s   p50 {result.percentile(50) * 1000:7.2f} ms"
            f"   p99 {result.percentile(99) * 1000:7.2f} ms{cpu}")


def median_result(results: list[Result]) -> Result:
    """The round with the median throughput."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def alternate(ports: dict[str, tuple[int, int]], work: dict[str, list[Request]], concurrency: int,
              rounds: int, what: str) -> dict[str, list[Result]]:
    """Run each app's workload once per round, the order swapped every round."""
    runs: dict[str, list[Result]] = {name: [] for name in ports}
    names = list(ports)
    for number in range(rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            port, master = ports[name]
            result = load(port, work[name], concurrency, master)
            check(result, f"{what} {name}")
            runs[name].append(result)
    return runs


def report(runs: dict[str, list[Result]], lib_path: str, bare_path: str) -> float:
    """Print the median round of each app and every round's req/s; return the median ratio."""
    print(row(f"usercore {lib_path}", median_result(runs["usercore"])))
    print(row(f"bare     {bare_path}", median_result(runs["bare"])))
    print("  req/s per round: usercore " + ", ".join(f"{r.rps:.0f}" for r in runs["usercore"])
          + " | bare " + ", ".join(f"{r.rps:.0f}" for r in runs["bare"]))
    lib_cpu = [r.cpu_ms for r in runs["usercore"] if r.cpu_ms]
    bare_cpu = [r.cpu_ms for r in runs["bare"] if r.cpu_ms]
    if lib_cpu and bare_cpu:
        print(f"  server CPU per request, bare/usercore (medians): "
              f"{statistics.median(bare_cpu) / statistics.median(lib_cpu):.3f}")
    return statistics.median(a.rps / b.rps for a, b in zip(runs["usercore"], runs["bare"],
                                                              strict=True))


@contextlib.contextmanager
def servers(env: dict[str, str], workers: int, logs: Path) -> Iterator[tuple[Server, Server]]:
    started: list[Server] = []
    try:
        app_spec = f"example_app:create_app({LIBRARY_CONFIG!r})"
        started.append(start_server("usercore", app_spec, ROOT, env, workers,
                                    logs / "usercore.log"))
        started.append(start_server("bare", "bare_app:create_app()", HERE, env, workers,
                                    logs / "bare.log"))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def cleanup_database(app: Any, run: str) -> None:
    """Remove this run's rows from a database the caller gave (DATABASE_URL)."""
    from sqlalchemy import delete, select, text

    from flask_usercore.models import Base, User

    session = app.extensions["usercore"].deps.session
    session.execute(text("DROP TABLE IF EXISTS bench_credential"))
    ids = select(User.id).where(User.email.like(f"bench-{run}-%"))
    for table in reversed(Base.metadata.sorted_tables):
        if "user_id" in table.c:
            session.execute(delete(table).where(table.c.user_id.in_(ids)))
    session.execute(delete(User).where(User.email.like(f"bench-{run}-%")))
    session.commit()


def finish_run(app: Any, database_url: str, run: str, tmp: Path) -> None:
    """After a run: remove its rows from a caller's database (not SQLite), then its files."""
    if not database_url.startswith("sqlite"):
        with app.app_context():
            app.extensions["usercore"].deps.session.rollback()
            cleanup_database(app, run)
    shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help="GET requests per app and round (default 2000)")
    parser.add_argument("--login-requests", type=int, default=60,
                        help="logins per app and round, sent one at a time (default 60)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="client processes for the GET runs (default 4)")
    parser.add_argument("--users", type=int, default=1000,
                        help="users seeded, each with one session (default 1000)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds; the median round is reported (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="usercore-bench-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    outbox = tmp / "outbox"
    env = {**os.environ, "DATABASE_URL": database_url, "USERCORE_MAIL_OUTBOX": str(outbox),
           "SECRET_KEY": SECRET_KEY, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX", "SECRET_KEY")})
    sys.path[:0] = [str(ROOT), str(HERE)]
    import bare_app

    from example_app import create_app

    app = create_app(dict(LIBRARY_CONFIG))  # runs the migrations before the servers start
    bare_app.create_app()  # creates the bare app's table, bench_credential
    db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite file"
    print(f"database: {db_name}; users: {args.users + 1}; gunicorn: {args.workers} sync "
          f"workers per app; clients: {args.concurrency} processes; rounds: {args.rounds}")
    try:
        with servers(env, args.workers, tmp) as (lib, base), app.app_context():
            first = f"bench-{run}-api@example.com"
            token = seed_through_api(lib.port, outbox, first)
            mirror_token(app, bare_app, token)
            emails, tokens = seed_bulk(app, bare_app, run, args.users)
            tokens.append(token)
            emails.append(first)
            auth = {"x-access-token": token}
            status, mine = call(lib.port, "GET", "/v2/users/self", headers=auth)
            bare_status, theirs = call(base.port, "GET", "/me", headers=auth)
            assert status == bare_status == 200, (status, bare_status)
            print(f"reply: usercore {len(json.dumps(mine))} bytes / {len(mine)} fields, "
                  f"bare {len(json.dumps(theirs))} bytes / {len(theirs)} fields; "
                  f"SQL statements per usercore GET: {count_queries(app, token)}")

            gets = {"usercore": get_requests("/v2/users/self", tokens, args.requests),
                    "bare": get_requests("/me", tokens, args.requests)}
            logins = {"usercore": login_requests("/v2/authenticate", emails, args.login_requests),
                      "bare": login_requests("/login", emails, args.login_requests)}
            ports = {"usercore": (lib.port, lib.proc.pid), "bare": (base.port, base.proc.pid)}
            for name, (port, _) in ports.items():  # warm up both apps' workers and caches
                check(load(port, gets[name][:300], args.concurrency), f"warm-up {name}")
                check(load(port, logins[name][:4], 1), f"warm-up {name}")

            get_runs = alternate(ports, gets, args.concurrency, args.rounds, "GET")
            login_runs = alternate(ports, logins, 1, args.rounds, "login")
            verify = argon2_verify_seconds(app)
    finally:
        finish_run(app, database_url, run, tmp)

    config = app.extensions["usercore"].config
    print(f"\n(a) token-authenticated read: {args.requests} requests per app and round, "
          f"{args.concurrency} clients, {args.rounds} rounds (median round shown)")
    ratio = report(get_runs, "GET /v2/users/self", "GET /me")
    verdict = "met" if ratio >= 0.9 else "MISSED"
    print(f"  ratio usercore/bare (median of the rounds' ratios): {ratio:.3f}  "
          f"(target >= 0.9: {verdict})")
    print(f"\n(b) login: {args.login_requests} logins per app and round, one at a time, "
          f"{args.rounds} rounds (median round shown)")
    ratio = report(login_runs, "POST /v2/authenticate", "POST /login")
    print(f"  ratio usercore/bare (median of the rounds' ratios): {ratio:.3f}")
    lib_p50 = statistics.median(r.percentile(50) for r in login_runs["usercore"])
    bare_p50 = statistics.median(r.percentile(50) for r in login_runs["bare"])
    print(f"  one argon2id verify in-process (t={config.argon2_time_cost}, "
          f"m={config.argon2_memory_cost} KiB, p={config.argon2_parallelism}): "
          f"{verify * 1000:.2f} ms (median of 30)")
    overhead = lib_p50 - verify
    verdict = "met" if overhead < 0.003 else "MISSED"
    print(f"  usercore login p50 - argon2 verify: {overhead * 1000:.2f} ms (target < 3 ms: "
          f"{verdict}); bare login p50 - argon2 verify: {(bare_p50 - verify) * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
