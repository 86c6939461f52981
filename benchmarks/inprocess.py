"""Worker CPU per token-authenticated read, library against the bare app, in one process.

    python benchmarks/inprocess.py                    # SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://... python benchmarks/inprocess.py [--kind api_token]

Over HTTP (``bench.py``, ``tokens.py``) the throughput ratio moves with everything else the
machine runs. This drives both WSGI apps directly, without HTTP or gunicorn: example_app's
``GET /v2/users/self`` and ``bare_app.py``'s ``GET /me``, for the same users and tokens
(``bench.seed_bulk``), in alternating blocks of ``--block`` calls, ``--rounds`` times, and
prints the CPU time of this process per request (``time.process_time``), the median of the
blocks, their ratio bare/library (the target of the throughput ratio is >= 0.9), and the SQL
statements of one library read. On a PostgreSQL server on this machine it also prints the
CPU its backends for this database used per request (from ``/proc``): under gunicorn the
server shares the cores with the workers, so its work counts against the throughput too.
``--kind api_token`` reads with API tokens (created through the API) instead of session
tokens; every token was last used over a minute ago.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import bench  # noqa: E402  (after the path is set)

Call = Callable[[], None]


def wsgi_calls(app: Any, path: str, tokens: Sequence[str]) -> list[Call]:
    """One ready WSGI call per token: ``GET path`` with ``x-access-token``, body consumed."""
    from werkzeug.test import EnvironBuilder

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if not status.startswith("200"):
            raise AssertionError(f"{path}: {status}")
        return None

    calls = []
    for token in tokens:
        environ = EnvironBuilder(path=path, headers={"x-access-token": token},
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()

        def call(environ: dict[str, Any] = environ) -> None:
            body = app(dict(environ), start_response)
            try:
                for _ in body:
                    pass
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        calls.append(call)
    return calls


class DatabaseCpu:
    """CPU seconds used so far by the PostgreSQL backends of the benchmark's database, when
    the server runs on this machine (``/proc/<pid>/stat``); else always 0."""

    def __init__(self, url: str) -> None:
        self.connection: Any = None
        if url.startswith("postgresql"):
            import psycopg
            from sqlalchemy.engine import make_url

            dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
            self.connection = psycopg.connect(dsn, autocommit=True)

    def __call__(self) -> float:
        if self.connection is None:
            return 0.0
        pids = self.connection.execute("SELECT pid FROM pg_stat_activity "
                                       "WHERE datname = current_database()").fetchall()
        ticks = 0
        for (pid,) in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # not on this machine, or the backend ended
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


def cpu_per_call(calls: Iterable[Call], database: Callable[[], float] = lambda: 0.0,
                 ) -> tuple[float, float]:
    """CPU seconds of this process, and of the database server, per call over ``calls``."""
    calls = list(calls)
    server = database()
    start = time.process_time()
    for call in calls:
        call()
    spent = time.process_time() - start
    return spent / len(calls), (database() - server) / len(calls)


def api_tokens(app: Any, bare_models: Any, tokens: Sequence[str]) -> list[str]:
    """An API token (``api_read``) for each session token's user, made through the API and
    mirrored into the bare app's table."""
    client = app.test_client()
    made = []
    for token in tokens:
        response = client.post("/v2/users/self/api-tokens",
                               json={"description": "benchmark", "roles": ["api_read"]},
                               headers={"x-access-token": token})
        assert response.status_code == 201, response.json
        made.append(response.json["token"])
    with app.app_context():
        for token in made:
            bench.mirror_token(app, bare_models, token)
    return made


def age_tokens(app: Any) -> None:
    """Make every credential last used two minutes ago (no token used in the last minute)."""
    from sqlalchemy import update

    from flask_usercore.models import Credential, utcnow

    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.execute(update(Credential).values(
            last_used_at=utcnow() - dt.timedelta(minutes=2)))
        session.commit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="users seeded (2000)")
    parser.add_argument("--block", type=int, default=500, help="calls per block (500)")
    parser.add_argument("--rounds", type=int, default=8, help="blocks per app (8)")
    parser.add_argument("--kind", choices=("session", "api_token"), default="session")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="usercore-inprocess-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update({"DATABASE_URL": database_url, "SECRET_KEY": bench.SECRET_KEY,
                       "USERCORE_MAIL_OUTBOX": str(tmp / "outbox")})
    import bare_app

    from example_app import create_app

    app = create_app(dict(bench.LIBRARY_CONFIG))
    bare = bare_app.create_app()
    try:
        with app.app_context():
            _, tokens = bench.seed_bulk(app, bare_app, run, args.users)
        if args.kind == "api_token":
            tokens = api_tokens(app, bare_app, tokens)
        age_tokens(app)
        with app.app_context():
            queries = bench.count_queries(app, tokens[0])
        apps = {"usercore": wsgi_calls(app.wsgi_app, "/v2/users/self", tokens),
                "bare": wsgi_calls(bare.wsgi_app, "/me", tokens)}
        for calls in apps.values():  # warm-up: caches, prepared statements, the pool
            cpu_per_call(calls[:200])
        cpu: dict[str, list[float]] = {name: [] for name in apps}
        server: dict[str, list[float]] = {name: [] for name in apps}
        database = DatabaseCpu(database_url)
        offset = 0
        for round_ in range(args.rounds):
            names = list(apps) if round_ % 2 == 0 else list(reversed(apps))
            for name in names:
                calls = apps[name]
                block = [calls[(offset + i) % len(calls)] for i in range(args.block)]
                worker, backend = cpu_per_call(block, database)
                cpu[name].append(worker)
                server[name].append(backend)
            offset += args.block
    finally:
        if not database_url.startswith("sqlite"):
            with app.app_context():
                app.extensions["usercore"].deps.session.rollback()
                bench.cleanup_database(app, run)

    lib, base = statistics.median(cpu["usercore"]), statistics.median(cpu["bare"])
    db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite file"
    print(f"database: {db_name}; tokens: {args.kind} x {len(tokens)} (last used > 1 min ago); "
          f"{args.rounds} alternating blocks of {args.block} calls per app; "
          f"SQL statements per usercore GET: {queries}")
    for name, values in cpu.items():
        print(f"  {name:8s} CPU per request: median {statistics.median(values) * 1e6:6.0f} us "
              f"(blocks: {', '.join(f'{v * 1e6:.0f}' for v in values)})")
    ratio = base / lib
    print(f"  CPU ratio bare/usercore: {ratio:.3f} (target of the throughput ratio: >= 0.9)")
    if any(server["bare"]):
        lib_db, base_db = (statistics.median(server[name]) for name in ("usercore", "bare"))
        print(f"  PostgreSQL backends' CPU per request (clock ticks, coarse): usercore "
              f"{lib_db * 1e6:.0f} us, bare {base_db * 1e6:.0f} us; worker + server ratio "
              f"bare/usercore: {(base + base_db) / (lib + lib_db):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
