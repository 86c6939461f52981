"""Worker memory of the example app against the bare Flask app, under gunicorn, in one run.

Uses the servers, seeding and load generator of ``bench.py`` (see ``benchmarks/README.md``):
both apps under gunicorn, 2 sync workers each (``--workers``), on the same database. For every
worker it prints, side by side with the bare app's and with the ratios:

* ``boot RSS`` / ``boot peak``: ``VmRSS`` and ``VmHWM`` right after the worker loaded the app
  (gunicorn's ``post_worker_init`` hook marks the moment);
* ``warm RSS`` / ``warm peak``: the same after a warm-up of the common operations: logins,
  token-authenticated ``GET /v2/users/self``, ``GET /v2/users/self/sessions``, one registration
  (with its verification), one password change, then logins again (the bare app: its logins,
  ``GET /me`` and ``GET /sessions``, and logins again);
* ``USS`` / ``PSS`` after the warm-up, from ``/proc/<pid>/smaps_rollup``: the pages only this
  worker holds, and its fair share of the pages it shares with the master and the other worker.

and the RSS of the largest worker after each stage of the warm-up.

Target (issue 19): the example app's RSS at most 1.2x the bare app's, after boot and after the
warm-up, and no start-up peak above that. Linux only (``/proc``). glibc's malloc keeps the
19 MiB that one argon2 hash allocates in the heap once its dynamic mmap threshold has risen;
run with ``MALLOC_MMAP_THRESHOLD_=131072`` in the environment (both servers inherit it) to
see the figures without that effect (see the README).

The example app runs as an API, as the bare app does (its account pages off): ``--pages``
mounts them, which adds their forms' libraries (Flask-WTF, WTForms, Babel) to every worker.

Run from the repository root: ``python benchmarks/memory.py`` (SQLite file in a temporary
directory), ``DATABASE_URL=postgresql+psycopg://... python benchmarks/memory.py`` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import bench  # noqa: E402  (after the path is set)
import tokens  # noqa: E402

#: A gunicorn config file: each worker leaves a file named after its pid once it has loaded
#: the app, so that "right after boot" is a moment, not a guess.
GUNICORN_CONFIG = """\
import os
import pathlib


def post_worker_init(worker):
    pathlib.Path(os.environ["MEMORY_BENCH_BOOTED"], str(worker.pid)).touch()
"""
NEW_PASSWORD = "another horse battery staple 10"
MIB = 1024.0


def workers_of(master: int) -> list[int]:
    """The pids of the children of process ``master`` (its gunicorn workers)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(entry.name))
    return sorted(found)


def memory(pid: int) -> dict[str, float]:
    """RSS, peak RSS (VmHWM), USS and PSS of process ``pid``, in KiB."""
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            status[key] = float(value.split()[0])
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        rollup[key] = float(value.split()[0])
    return {"rss": status["VmRSS"], "peak": status["VmHWM"], "pss": rollup["Pss"],
            "uss": rollup["Private_Clean"] + rollup["Private_Dirty"]}


def booted_workers(master: int, markers: Path, count: int, timeout: float = 120) -> list[int]:
    """Wait until ``count`` workers of ``master`` have loaded the app; their pids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [pid for pid in workers_of(master) if (markers / str(pid)).exists()]
        if len(pids) >= count:
            return pids[:count]
        time.sleep(0.05)
    raise RuntimeError(f"the workers of {master} did not boot within {timeout} s")


Measured = dict[str, list[dict[str, float]]]


def warm_up(app: Any, bare_app: Any, ports: dict[str, int], pids: dict[str, list[int]],
            outbox: Path, run: str, users: int, requests: int) -> list[tuple[str, Measured]]:
    """The common operations on both apps, in stages; the workers' memory after each.

    Requests are spread over the workers by 2 client processes (the registration and the
    password change are single requests: one worker takes each). The session lists are those
    of a user with 50 sessions from five browsers, so that both apps parse User-Agents (a
    session made by this script's logins has none).
    """
    emails, seeded = bench.seed_bulk(app, bare_app, run, users)
    stages: list[tuple[str, Measured]] = []

    def run_stage(name: str, work: dict[str, list[bench.Request]]) -> None:
        for app_name, requests_ in work.items():
            if requests_:
                bench.check(bench.load(ports[app_name], requests_, 2), f"{name} {app_name}")
        stages.append((name, {key: [memory(pid) for pid in found]
                              for key, found in pids.items()}))

    logins = max(4, requests // 20)
    run_stage("logins", {"usercore": bench.login_requests("/v2/authenticate", emails, logins),
                         "bare": bench.login_requests("/login", emails, logins)})
    run_stage("token GETs", {"usercore": bench.get_requests("/v2/users/self", seeded, requests),
                             "bare": bench.get_requests("/me", seeded, requests)})
    token = bench.seed_through_api(ports["usercore"], outbox, f"bench-{run}-api@example.com")
    run_stage("registration", {})
    bench.mirror_token(app, bare_app, token)
    tokens.seed_sessions(app, token, 49)
    run_stage("session lists", {
        "usercore": bench.get_requests("/v2/users/self/sessions", [token], requests // 4),
        "bare": bench.get_requests("/sessions", [token], requests // 4)})
    status, body = bench.call(ports["usercore"], "PUT", "/v2/users/self/credentials/password",
                              {"oldPassword": bench.PASSWORD, "newPassword": NEW_PASSWORD},
                              headers={"x-access-token": token})
    assert status == 200, (status, body)
    run_stage("password change", {})
    # logins once more: a steady state is mixed; an argon2 run after the session lists meets a
    # heap the User-Agent parser has filled, in both apps alike
    run_stage("logins again", {
        "usercore": bench.login_requests("/v2/authenticate", emails, logins),
        "bare": bench.login_requests("/login", emails, logins)})
    return stages


def ratio_line(name: str, lib: list[dict[str, float]], bare: list[dict[str, float]],
               key: str) -> str:
    """One metric: every worker of both apps in MiB, and the ratio of the largest ones."""
    mine = max(m[key] for m in lib)
    theirs = max(m[key] for m in bare)
    return (f"  {name:<10} usercore " + " ".join(f"{m[key] / MIB:6.1f}" for m in lib)
            + "   bare " + " ".join(f"{m[key] / MIB:6.1f}" for m in bare)
            + f"   ratio {mine / theirs:5.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--pages", action="store_true",
                        help="mount the example app's account pages (off: the API only)")
    parser.add_argument("--users", type=int, default=200, help="users seeded (200)")
    parser.add_argument("--requests", type=int, default=400,
                        help="token GETs per app in the warm-up (400; a quarter as many "
                             "session lists, a twentieth as many logins)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="usercore-memory-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    outbox, markers = tmp / "outbox", tmp / "booted"
    markers.mkdir()
    config = tmp / "gunicorn_memory.py"
    config.write_text(GUNICORN_CONFIG)
    env = {**os.environ, "DATABASE_URL": database_url, "USERCORE_MAIL_OUTBOX": str(outbox),
           "SECRET_KEY": bench.SECRET_KEY, "MEMORY_BENCH_BOOTED": str(markers),
           "GUNICORN_CMD_ARGS": f"--config {config}",
           "EXAMPLE_USERCORE_PAGES": "true" if args.pages else "false",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX", "SECRET_KEY")})
    import bare_app

    from example_app import create_app

    app = create_app(dict(bench.LIBRARY_CONFIG))  # migrates before the workers boot
    bare_app.create_app()
    db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite file"
    print(f"database: {db_name}; account pages: {'on' if args.pages else 'off'}; "
          f"gunicorn: {args.workers} sync workers per app; "
          f"warm-up: {args.requests} token GETs per app, {args.requests // 4} session lists, "
          f"{max(4, args.requests // 20)} logins, 1 registration + 1 password change (usercore)")
    boot: Measured = {}
    stages: list[tuple[str, Measured]] = []
    try:
        with bench.servers(env, args.workers, tmp) as (lib, base), app.app_context():
            pids = {name: booted_workers(server.proc.pid, markers, args.workers)
                    for name, server in (("usercore", lib), ("bare", base))}
            boot = {name: [memory(pid) for pid in found] for name, found in pids.items()}
            stages = warm_up(app, bare_app, {"usercore": lib.port, "bare": base.port}, pids,
                             outbox, run, args.users, args.requests)
    finally:
        bench.finish_run(app, database_url, run, tmp)
    report(boot, stages)
    return 0


def report(boot: Measured, stages: list[tuple[str, Measured]]) -> None:
    """The workers' memory (MiB) side by side, RSS after each stage, and the verdicts."""
    warm = stages[-1][1]
    print("\nper worker, MiB (usercore workers | bare workers | ratio of the largest)")
    print(ratio_line("boot RSS", boot["usercore"], boot["bare"], "rss"))
    print(ratio_line("boot peak", boot["usercore"], boot["bare"], "peak"))
    print(ratio_line("warm RSS", warm["usercore"], warm["bare"], "rss"))
    print(ratio_line("warm peak", warm["usercore"], warm["bare"], "peak"))
    print(ratio_line("warm USS", warm["usercore"], warm["bare"], "uss"))
    print(ratio_line("warm PSS", warm["usercore"], warm["bare"], "pss"))
    print("\nRSS of the largest worker after each warm-up stage, MiB (usercore | bare)")
    for name, measured in stages:
        mine = max(m["rss"] for m in measured["usercore"]) / MIB
        theirs = max(m["rss"] for m in measured["bare"]) / MIB
        print(f"  {name:<16} {mine:6.1f} | {theirs:6.1f}   ratio {mine / theirs:5.2f}")
    limit = 1.2 * max(m["rss"] for m in boot["bare"])
    steady = max(m["rss"] for m in boot["usercore"])
    peak = max(m["peak"] for m in boot["usercore"])
    print(f"\ntarget after boot: RSS and peak <= 1.2x the bare app's RSS = {limit / MIB:.1f} "
          f"MiB: RSS {steady / MIB:.1f} MiB ({'met' if steady <= limit else 'MISSED'}), peak "
          f"{peak / MIB:.1f} MiB ({'met' if peak <= limit else 'MISSED'})")
    limit = 1.2 * max(m["rss"] for m in warm["bare"])
    steady = max(m["rss"] for m in warm["usercore"])
    print(f"target after the warm-up: RSS <= 1.2x the bare app's = {limit / MIB:.1f} MiB: "
          f"{steady / MIB:.1f} MiB ({'met' if steady <= limit else 'MISSED'})")


if __name__ == "__main__":
    sys.exit(main())
