"""Faults under load: a hung Redis, a restarted PostgreSQL, with mixed_load.py's write audit.

What it does (figures in ``benchmarks/README.md``, "Faults under load"):

1. Starts a PostgreSQL server and a Redis server of its own (``tests/fault_servers.py``;
   Debian's ``redis-server`` on a free port, no persistence), migrates and seeds through
   ``example_app:create_app()`` as ``mixed_load.py`` does, and serves example_app under
   gunicorn (``--workers`` sync workers) with the rate limits, the lockout and the pending
   last-use times in that Redis (``USERCORE_RATELIMIT_FAIL_OPEN`` off, the default).
2. For each fault of ``--faults``: runs ``mixed_load.py``'s clients for ``--duration``
   seconds and, ``--fault-at`` seconds in, injects the fault for ``--fault-seconds``:
   ``redis-hang`` stops Redis with SIGSTOP (connections are accepted, nothing answers) and
   resumes it with SIGCONT; ``db-restart`` stops PostgreSQL (fast shutdown: every connection
   is cut) and starts it again.
3. Prints, per fault, the status histogram of each operation before, during and after the
   fault, the latency of the token read (``GET /v2/users/self``) in each phase, the worker
   timeouts and tracebacks in gunicorn's log, and the audit of every acknowledged write.

Fails (exit 1) on a 5xx other than the JSON 503 of the wire rules, a transport error, a
worker timeout, a stale read or a lost write; a hung Redis must also leave the reads alone
(no 503, p99 during the fault under ``--read-p99-ms``).

Run from the repository root: ``python benchmarks/faults.py`` (``--help`` for the options);
needs PostgreSQL's server binaries and ``redis-server`` (``.ci/run`` installs both).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import bench  # noqa: E402  (after the path is set)
from load_audit import Ledger, audit, audit_summary, merge, spot_check  # noqa: E402
from mixed_load import OPERATIONS, run_clients  # noqa: E402

from tests.fault_servers import (  # noqa: E402
    OwnRedis,
    ThrowawayPostgres,
    _server_binaries,
)

PHASES = ("before", "during", "after")


def phase_of(began: float, start: float, end: float) -> str:
    return "before" if began < start else "during" if began < end else "after"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def report(name: str, ledger: Ledger, reader: Reader,
           window: tuple[float, float]) -> dict[str, Any]:
    """Print the histograms and read latencies per phase; return the figures checked."""
    statuses: dict[str, dict[str, Counter[int]]] = {p: {} for p in PHASES}
    reads: dict[str, list[float]] = {p: [] for p in PHASES}
    for began, op, _took, status in ledger.timeline:
        statuses[phase_of(began, *window)].setdefault(op, Counter())[status] += 1
    for began, took, status in reader.reads:
        phase = phase_of(began, *window)
        statuses[phase].setdefault("steady read", Counter())[status] += 1
        if status == 200:
            reads[phase].append(took)
    print(f"\n  {name}: status histogram per operation (0 = no answer)")
    for phase in PHASES:
        print(f"    {phase}:")
        for op in [*OPERATIONS, "steady read"]:
            counts = statuses[phase].get(op)
            if counts:
                shown = ", ".join(f"{s}: {c}" for s, c in sorted(counts.items()))
                print(f"      {op:<13} {shown}")
    print(f"  {name}: the steady reader's GET /v2/users/self (one at a time, every 10 ms, "
          f"beside the load) answered 200, latency per phase")
    print(f"    {'phase':<8} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for phase in PHASES:
        values = reads[phase]
        print(f"    {phase:<8} {len(values):6d} {percentile(values, 50) * 1000:8.2f} "
              f"{percentile(values, 99) * 1000:8.2f} "
              f"{(max(values) if values else float('nan')) * 1000:8.2f}")
    total: Counter[int] = Counter()
    for phase in PHASES:
        for counts in statuses[phase].values():
            total.update(counts)
    return {"statuses": statuses, "reads": reads, "total": total}


class Reader:
    """One more client beside the mixed load: logged in before the fault, it reads
    ``GET /v2/users/self`` one request at a time, every ``pause`` seconds, until ``deadline``."""

    def __init__(self, port: int, email: str, deadline: float, pause: float = 0.01) -> None:
        status, body = bench.call(port, "POST", "/v2/authenticate",
                                  {"email": email, "password": bench.PASSWORD})
        if status != 200:
            raise RuntimeError(f"the reader's login answered {status}")
        self.port, self.token, self.deadline, self.pause = port, body["token"], deadline, pause
        #: (monotonic start, seconds, status) of every read.
        self.reads: list[tuple[float, float, int]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while time.monotonic() < self.deadline:
            began = time.monotonic()
            try:
                conn.request("GET", "/v2/users/self", headers={"x-access-token": self.token})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 0
            self.reads.append((began, time.monotonic() - began, status))
            time.sleep(self.pause)
        conn.close()


def inject(fault: str, redis: OwnRedis, postgres: ThrowawayPostgres, at: float,
           seconds: float, window: list[float]) -> Callable[[], None]:
    """A thread body: wait ``at`` seconds, break, wait ``seconds``, repair."""

    def run() -> None:
        time.sleep(at)
        window.append(time.monotonic())
        if fault == "redis-hang":
            redis.hang()
        else:
            postgres.stop()
        time.sleep(seconds)
        if fault == "redis-hang":
            redis.resume()
        else:
            postgres.start()
        window.append(time.monotonic())

    return run


def run_fault(fault: str, args: argparse.Namespace, app: Any, emails: list[str],
              redis: OwnRedis, postgres: ThrowawayPostgres, env: dict[str, str],
              tmp: Path) -> list[str]:
    """One fault under load; returns what failed."""
    log = tmp / f"gunicorn-{fault}.log"
    server = bench.start_server(
        "usercore", f"example_app:create_app({bench.LIBRARY_CONFIG!r})", bench.ROOT, env,
        args.workers, log)
    window: list[float] = []
    try:
        bench.load(server.port, [("GET", "/v2/password-policies/mittwald", None, {})] * 40, 4)
        reader = Reader(server.port, emails[0], time.monotonic() + args.duration)
        breaker = threading.Thread(target=inject(fault, redis, postgres, args.fault_at,
                                                 args.fault_seconds, window))
        breaker.start()
        ledger = merge(run_clients(server.port, emails[1:], args.clients, args.duration))
        breaker.join()
        reader.thread.join()
        problems = spot_check(server.port, ledger, args.sample)
    finally:
        redis.resume()
        server.stop()
    with app.app_context():
        # the audit's own pool: connections a restart cut are dropped, not used
        app.extensions["sqlalchemy"].engine.dispose()
        problems += audit(app, ledger)
    figures = report(fault, ledger, reader, (window[0], window[1]))
    text = log.read_text(errors="replace")
    timeouts, tracebacks = text.count("WORKER TIMEOUT"), text.count("Traceback")
    print(f"  {fault}: worker timeouts {timeouts}, tracebacks in the log {tracebacks}, "
          f"log {len(text.encode()) / 1024:.1f} KiB; database errors logged: "
          f"{text.count('database unreachable')} outage line(s); Redis: "
          f"{text.count('not asked again')} outage line(s)")
    if tracebacks:
        first = text.index("Traceback")
        print(f"  {fault}: the first traceback:\n" + text[max(0, first - 300):first + 6000])
    print(f"  {fault}: {audit_summary(ledger)}")
    failures = list(problems) + ledger.stale_reads
    total = figures["total"]
    failures += [f"{count} x {status or 'no answer'}" for status, count in total.items()
                 if status == 0 or (status >= 500 and status != 503)]
    failures += [f"{timeouts} worker timeouts"] * bool(timeouts)
    if fault == "redis-hang":
        for op in ("read", "steady read"):
            during = figures["statuses"]["during"].get(op, Counter())
            failures += [f"{during[503]} {op}s answered 503"] * bool(during[503])
        p99 = percentile(figures["reads"]["during"], 99) * 1000
        if not p99 <= args.read_p99_ms:
            failures.append(f"read p99 during the hang {p99:.1f} ms > {args.read_p99_ms} ms")
    lost = sum("lost" in p for p in problems) + len(ledger.stale_reads)
    print(f"  {fault}: 5xx other than 503: "
          f"{sum(c for s, c in total.items() if s >= 500 and s != 503)}; 503: {total[503]}; "
          f"{lost} lost; result: " + ("FAILED" if failures else "OK"))
    for failure in failures[:20]:
        print(f"    FAILED: {failure}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """Start the servers, seed, run each fault, report; 0 when every fault passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faults", default="redis-hang,db-restart",
                        help="comma-separated: redis-hang, db-restart (both)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--fault-at", type=float, default=8.0, help="fault starts at (8 s)")
    parser.add_argument("--fault-seconds", type=float, default=12.0,
                        help="how long the fault lasts (12 s)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (4)")
    parser.add_argument("--users", type=int, default=200, help="users seeded (200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--sample", type=int, default=50,
                        help="tokens of each kind checked over HTTP after the run (50)")
    parser.add_argument("--read-p99-ms", type=float, default=600.0,
                        help="the most a read's p99 may be while Redis hangs (600 ms: at most "
                             "one 500 ms timeout per worker shows at p99 of a short run)")
    args = parser.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    if set(faults) - {"redis-hang", "db-restart"}:
        parser.error("--faults takes redis-hang and db-restart")
    binaries = _server_binaries()
    if binaries is None or shutil.which("redis-server") is None:
        print("needs PostgreSQL's server binaries and redis-server", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="usercore-faults-"))
    postgres = ThrowawayPostgres(binaries)
    redis: OwnRedis | None = None
    failures: list[str] = []
    try:
        postgres.start()
        redis = OwnRedis(tmp)
        env = {**os.environ, "DATABASE_URL": postgres.url,
               "USERCORE_MAIL_OUTBOX": str(tmp / "outbox"), "SECRET_KEY": bench.SECRET_KEY,
               "PYTHONPATH": os.pathsep.join(sys.path[:2]),
               "EXAMPLE_USERCORE_RATELIMIT_STORAGE_URI": redis.url,
               "GUNICORN_CMD_ARGS": "--capture-output"}
        os.environ.update({key: env[key] for key in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX",
                                                     "SECRET_KEY")})
        import bare_app

        from example_app import create_app

        app = create_app(dict(bench.LIBRARY_CONFIG))
        bare_app.create_app()
        with app.app_context():
            emails, _ = bench.seed_bulk(app, bare_app, uuid.uuid4().hex[:8], args.users)
        print(f"PostgreSQL and Redis of this run's own; users: {args.users}; gunicorn: "
              f"{args.workers} sync workers; clients: {args.clients} processes; "
              f"{args.duration:g} s each, the fault from {args.fault_at:g} s for "
              f"{args.fault_seconds:g} s")
        for fault in faults:
            failures += run_fault(fault, args, app, emails, redis, postgres, env, tmp)
        with app.app_context():
            app.extensions["usercore"].deps.last_access.close()
            app.extensions["sqlalchemy"].engine.dispose()
    finally:
        if redis is not None:
            redis.stop()
        postgres.remove()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nfaults: " + ("FAILED" if failures else "OK (no 500, no worker timeout, 0 lost)"))
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
