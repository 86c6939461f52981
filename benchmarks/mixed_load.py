"""Load without loss: a mixed user workload against example_app under gunicorn, then an audit.

What it does (see ``benchmarks/README.md``, "Mixed load without loss", for measured figures):

1. Creates the schema through ``example_app:create_app()`` in the PostgreSQL database of
   ``DATABASE_URL`` (``--sqlite``: a temporary SQLite file instead, a secondary mode for
   quick checks), seeds ``--users`` verified users through the library's models and starts
   example_app under gunicorn (``--workers`` sync workers, login rate limit raised), all
   with the helpers of ``bench.py``.
2. Runs ``--clients`` client processes for ``--duration`` seconds. Each owns a disjoint
   share of the users (so one user's requests never overlap and "the last acknowledged
   write" is well defined) and loops over them, one realistic session each:
   login (``POST /v2/authenticate``), read (``GET /v2/users/self``, which must show the
   last acknowledged name), update (``PUT /v2/users/self/personal-information``), settings
   (``PUT /v2/users/self/settings``), refresh (``PUT /v2/users/self/sessions``), list
   (``GET /v2/users/self/sessions`` with the new token), update again through
   ``PUT /v2/users/{userId}``, read again, logout (``PUT /v2/logout``). Every value written
   is unique; every acknowledged write, refresh and logout is recorded client-side.
3. Audits: over HTTP, a sample of refreshed-away and logged-out tokens must be refused
   (401); after the server stopped, in the database: each user's name and settings are the
   last acknowledged ones (or a later write whose answer was lost), no logged-out or
   refreshed-away access token and no rotated refresh token is still a live credential,
   and every session open at the end exists.
4. Prints throughput, p50/p99 and the status classes per operation, the workers' CPU time,
   and the audit; exits 1 on any 5xx, transport error, unexpected status, stale read or lost
   write.

Run from the repository root: ``DATABASE_URL=postgresql+psycopg://... python
benchmarks/mixed_load.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import bench  # noqa: E402  (after the path is set)
from load_audit import Ledger, Written, audit, audit_summary, merge, spot_check  # noqa: E402

#: The operations of one session, in order: name -> (method, path) as printed.
OPERATIONS = {
    "login": ("POST", "/v2/authenticate"),
    "read": ("GET", "/v2/users/self"),
    "update": ("PUT", "/v2/users/self/personal-information"),
    "settings": ("PUT", "/v2/users/self/settings"),
    "refresh": ("PUT", "/v2/users/self/sessions"),
    "list": ("GET", "/v2/users/self/sessions"),
    "update-by-id": ("PUT", "/v2/users/{userId}"),
    "logout": ("PUT", "/v2/logout"),
}
#: The status each operation answers when it succeeds.
EXPECTED = {"login": 200, "read": 200, "update": 204, "settings": 204, "refresh": 200,
            "list": 200, "update-by-id": 204, "logout": 204}


class Client:
    """One client process: one connection (re-opened when the server closes it)."""

    def __init__(self, port: int, ledger: Ledger, deadline: float) -> None:
        self.port, self.ledger, self.deadline = port, ledger, deadline
        self.user_id = ""  # of the session in progress, from its first read
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, op: str, method: str, path: str, body: Any = None,
             token: str | None = None) -> tuple[int, Any]:
        """One JSON request; status 0 stands for a transport error (no answer)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["x-access-token"] = token
        data = json.dumps(body).encode() if body is not None else None
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status, payload = response.status, json.loads(raw) if raw else None
            if response.will_close:
                self.conn.close()
        except (OSError, http.client.HTTPException, ValueError):
            self.conn.close()
            status, payload = 0, None
        took = time.perf_counter() - began
        self.ledger.latencies.setdefault(op, []).append(took)
        self.ledger.statuses.setdefault(op, Counter())[status] += 1
        self.ledger.timeline.append((time.monotonic() - took, op, took, status))
        if status == 503:  # the service asks to wait (faults.py): not in a tight loop
            time.sleep(0.1)
        return status, payload

    def write(self, op: str, ledger: dict[str, Written], email: str, value: str,
              path: str, body: dict[str, Any], token: str) -> bool:
        """A PUT whose acknowledged ``value`` the audit will look for."""
        status, _ = self.send(op, "PUT", path, body, token)
        written = ledger.setdefault(email, Written())
        if 200 <= status < 300:
            written.acknowledged, written.unanswered = value, []
            written.count += 1
        elif status == 0 or status >= 500:
            written.unanswered.append(value)
        return status == EXPECTED[op]

    def session(self, email: str, tag: str) -> None:
        """One user's session; returns early when the time is up or a step failed."""
        ledger, more = self.ledger, self.more
        status, body = self.send("login", "POST", "/v2/authenticate",
                                 {"email": email, "password": bench.PASSWORD})
        if status != 200:
            return
        token, refresh = body["token"], body["refreshToken"]
        ledger.live.add(token)
        if not (more() and self.read(email, token)):
            return
        user_id = self.user_id
        first = f"{tag}a"
        if not (more() and self.write("update", ledger.names, email, first,
                                      "/v2/users/self/personal-information",
                                      {"person": {"firstName": first, "lastName": "Load"}},
                                      token)):
            return
        document = base64.b64encode(json.dumps({"load": tag}).encode()).decode()
        if not (more() and self.write("settings", ledger.settings, email, document,
                                      "/v2/users/self/settings",
                                      {"settingsString": document}, token)):
            return
        if not more():
            return
        status, body = self.send("refresh", "PUT", "/v2/users/self/sessions",
                                 {"refreshToken": refresh}, token)
        if status != 200:
            return
        ledger.refreshed.append((token, refresh))
        ledger.live.discard(token)
        token = body["token"]
        ledger.live.add(token)
        if not more():
            return
        status, _ = self.send("list", "GET", "/v2/users/self/sessions?limit=20", token=token)
        if status != 200:
            ledger.new_token_refused += status == 401
            return
        second = f"{tag}b"
        if not (more() and self.write("update-by-id", ledger.names, email, second,
                                      f"/v2/users/{user_id}",
                                      {"person": {"firstName": second, "lastName": "Load"}},
                                      token)):
            return
        if not (more() and self.read(email, token)) or not more():
            return
        status, _ = self.send("logout", "PUT", "/v2/logout", token=token)
        if status == 204:
            ledger.logged_out.append(token)
            ledger.live.discard(token)
            ledger.sessions += 1

    def more(self) -> bool:
        """Whether the time is not up yet."""
        return time.monotonic() < self.deadline

    def read(self, email: str, token: str) -> bool:
        """``GET /v2/users/self``: must show the last acknowledged name of ``email``."""
        status, body = self.send("read", "GET", "/v2/users/self", token=token)
        if status != 200:
            return False
        self.user_id = body["userId"]
        written = self.ledger.names.get(email)
        shown = body["person"]["firstName"]
        if written is not None and not written.allows(shown):
            self.ledger.stale_reads.append(f"{email}: {shown!r}, acknowledged "
                                           f"{written.acknowledged!r}")
        return True


def _client(number: int, port: int, emails: Sequence[str], duration: float,
            barrier: Any, results: Any) -> None:
    """Process body: loop over this client's users until ``duration`` has passed."""
    ledger = Ledger()
    barrier.wait()
    start = time.monotonic()
    client = Client(port, ledger, start + duration)
    count = 0
    while client.more():
        count += 1
        client.session(emails[count % len(emails)], f"c{number}n{count}")
    client.conn.close()
    ledger.seconds = time.monotonic() - start
    results.put(ledger)


def run_clients(port: int, emails: Sequence[str], clients: int, duration: float) -> list[Ledger]:
    """``clients`` processes, each with every ``clients``-th user, for ``duration`` seconds."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients)
    results: Any = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(n, port, emails[n::clients], duration,
                                               barrier, results)) for n in range(clients)]
    for proc in procs:
        proc.start()
    ledgers: list[Ledger] = [results.get(timeout=duration + 300) for _ in procs]
    for proc in procs:
        proc.join()
    return ledgers

# -- the report ---------------------------------------------------------------------------


def row(label: str, result: bench.Result, counts: Counter[int]) -> str:
    """One line of the table: throughput, p50/p99 latency, status classes."""
    classes = Counter({0: 0, 2: 0, 4: 0, 5: 0})
    for status, count in counts.items():
        classes[status // 100] += count
    return (f"  {label:<52} {result.rps:7.1f} {result.percentile(50) * 1000:8.2f} "
            f"{result.percentile(99) * 1000:8.2f} {classes[2]:7d} {classes[4]:5d} "
            f"{classes[5]:5d} {classes[0]:5d}")


def report(ledger: Ledger, cpu: float | None) -> list[str]:
    """Print the figures per operation and in total; returns the unexpected statuses."""
    print(f"\n  {'operation':<52} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>7} "
          f"{'4xx':>5} {'5xx':>5} {'err':>5}")
    unexpected, everything, total = [], [], Counter[int]()
    for op, (method, path) in OPERATIONS.items():
        latencies, counts = ledger.latencies.get(op, []), ledger.statuses.get(op, Counter())
        if latencies:
            everything += latencies
            total.update(counts)
            print(row(f"{op:<12} {method} {path}",
                      bench.Result(len(latencies), ledger.seconds, latencies, {}), counts))
        unexpected += [f"{op}: {count} x {status or 'no answer'}"
                       for status, count in sorted(counts.items()) if status != EXPECTED[op]]
    print(row("total", bench.Result(len(everything), ledger.seconds, everything, {}), total))
    per_request = f" ({cpu / len(everything) * 1000:.2f} ms per request)" if cpu else ""
    print(f"  sessions completed (login to logout): {ledger.sessions}; worker CPU: "
          + (f"{cpu:.1f} s{per_request}" if cpu is not None else "unknown"))
    return unexpected

def main(argv: Sequence[str] | None = None) -> int:
    """Seed, serve, load, audit, report; 0 when nothing was lost and no 5xx seen."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (4)")
    parser.add_argument("--users", type=int, default=200, help="users seeded (200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--sample", type=int, default=100,
                        help="tokens of each kind checked over HTTP after the run (100)")
    parser.add_argument("--sqlite", action="store_true",
                        help="a temporary SQLite file instead of DATABASE_URL (quick checks)")
    args = parser.parse_args(argv)
    if args.users < args.clients:
        parser.error("--users must be at least --clients (each client owns its users)")
    tmp = Path(tempfile.mkdtemp(prefix="usercore-mixed-"))
    url = f"sqlite:///{tmp / 'load.db'}" if args.sqlite else os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql", "sqlite")) or (url.startswith("sqlite")
                                                          and not args.sqlite):
        shutil.rmtree(tmp)
        print("mixed_load.py measures PostgreSQL: set DATABASE_URL=postgresql+psycopg://... "
              "(or pass --sqlite for a quick check on a temporary SQLite file)", file=sys.stderr)
        return 2
    env = {**os.environ, "DATABASE_URL": url, "USERCORE_MAIL_OUTBOX": str(tmp / "outbox"),
           "SECRET_KEY": bench.SECRET_KEY, "PYTHONPATH": os.pathsep.join(sys.path[:2]),
           "GUNICORN_CMD_ARGS": "--capture-output"}  # the workers' tracebacks into the log
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX",
                                                 "SECRET_KEY")})
    import bare_app  # seed_bulk also fills its table (dropped again by cleanup_database)

    from example_app import create_app

    app = create_app(dict(bench.LIBRARY_CONFIG))  # runs the migrations
    bare_app.create_app()
    run, log = uuid.uuid4().hex[:8], tmp / "usercore.log"
    print(f"database: {'PostgreSQL' if url.startswith('postgresql') else 'SQLite file'}; "
          f"users: {args.users}; gunicorn: {args.workers} sync workers; clients: "
          f"{args.clients} processes; duration: {args.duration:g} s")
    try:
        with app.app_context():
            emails, _ = bench.seed_bulk(app, bare_app, run, args.users)
        server = bench.start_server("usercore", f"example_app:create_app("
                                    f"{bench.LIBRARY_CONFIG!r})", bench.ROOT, env,
                                    args.workers, log)
        try:
            # both workers booted and warm before the clock starts
            bench.load(server.port, [("GET", "/v2/password-policies/mittwald", None, {})] * 40, 4)
            before = bench.workers_cpu(server.proc.pid)
            ledger = merge(run_clients(server.port, emails, args.clients, args.duration))
            after = bench.workers_cpu(server.proc.pid)
            problems = spot_check(server.port, ledger, args.sample)
        finally:
            server.stop()
        with app.app_context():
            problems += audit(app, ledger)
        tracebacks = log.read_text(errors="replace").count("Traceback")
        if tracebacks:
            print(f"the workers logged {tracebacks} tracebacks; the first:\n"
                  + log.read_text(errors="replace").split("Traceback", 2)[1][:3000])
    finally:
        if url.startswith("postgresql"):
            with app.app_context():
                app.extensions["usercore"].deps.session.rollback()
                bench.cleanup_database(app, run)
        shutil.rmtree(tmp, ignore_errors=True)

    unexpected = report(ledger, after - before if before is not None and after is not None
                        else None)
    print(audit_summary(ledger))
    failures = unexpected + ledger.stale_reads + problems
    failures += [f"{ledger.new_token_refused} refreshed tokens refused"] * bool(
        ledger.new_token_refused)
    for failure in failures[:20]:
        print(f"  FAILED: {failure}")
    print(f"  5xx: {sum(c for s in ledger.statuses.values() for k, c in s.items() if k >= 500)}"
          f"; lost writes and stale reads: "
          f"{sum('lost' in p for p in problems) + len(ledger.stale_reads)}; result: "
          + ("FAILED" if failures else "OK (no 5xx, nothing lost)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
