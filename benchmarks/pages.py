"""An account page beside a bare Flask + Jinja page doing the same work, under gunicorn.

The figure of issue 30: flask-usercore's profile page (``GET /account/profile``: the
``x-access-token`` cookie's session looked up, the unit of work, the Flask-WTF form filled
with the stored names and its CSRF token, the page's template in its layout through our
gettext domain, the security headers) against ``bare_app.py``'s ``GET /profile`` (the same
cookie's token looked up in one query, a hand-written Jinja template of the same markup:
the same four inputs and the navigation's ten ``url_for`` links, Flask-WTF's CSRF token,
the same headers). Target: at least **0.8x** the bare page's
requests/s. A second bare page, ``GET /profile-wtf``, renders the same markup from a
Flask-WTF form (WTForms writes the inputs), as a Flask app writing its own form page would:
its ratio is printed too.

Same set-up and load generator as ``bench.py`` (whose helpers it imports): a temporary
SQLite file or ``DATABASE_URL``; both apps under gunicorn on 127.0.0.1 (``--workers`` sync
workers each) on the same rows; ``--users`` seeded users with one session each, the same
token stored for both apps; ``--rounds`` alternating rounds of ``--requests`` GETs from
``--concurrency`` client processes; every answer must be 200. Prints each app's median
round (requests/s, p50, p99, the workers' CPU per request) and the ratio usercore/bare (the
median of the rounds' ratios).

Run from the repository root: ``python benchmarks/pages.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (the sibling module; the path is set just above)

#: The library's page and the bare app's two (hand-written inputs; a Flask-WTF form).
PATHS = {"usercore": "/account/profile", "bare": "/profile", "bare-wtf": "/profile-wtf"}
#: Target of the issue: the page at least this fraction of the bare page's throughput.
TARGET = 0.8


def page_requests(path: str, tokens: Sequence[str], n: int) -> list[bench.Request]:
    """``n`` GETs of ``path`` signed in by the session cookie, the users' tokens in turn."""
    return [("GET", path, None, {"Cookie": f"x-access-token={tokens[i % len(tokens)]}",
                                 "Accept-Language": "en"}) for i in range(n)]


def fetch(port: int, path: str, token: str) -> tuple[int, str]:
    """One page: its status and its HTML."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": f"x-access-token={token}"})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help="GET requests per app and round (default 2000)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="client processes (default 4)")
    parser.add_argument("--users", type=int, default=1000,
                        help="users seeded, each with one session (default 1000)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds; the median round is reported (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="usercore-pages-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "USERCORE_MAIL_OUTBOX": str(tmp),
           "SECRET_KEY": bench.SECRET_KEY,
           "PYTHONPATH": os.pathsep.join([str(bench.ROOT), str(HERE)])}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX", "SECRET_KEY")})
    sys.path[:0] = [str(bench.ROOT)]
    import bare_app

    from example_app import create_app

    config = {**bench.LIBRARY_CONFIG, "USERCORE_PAGES": True}
    app = create_app(dict(config))  # runs the migrations before the servers start
    bare_app.create_app()  # creates the bare app's table, bench_credential
    db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite file"
    print(f"database: {db_name}; users: {args.users}; gunicorn: {args.workers} sync workers "
          f"per app; clients: {args.concurrency} processes; rounds: {args.rounds}")
    started: list[bench.Server] = []
    try:
        started.append(bench.start_server("usercore", f"example_app:create_app({config!r})",
                                          bench.ROOT, env, args.workers, tmp / "usercore.log"))
        started.append(bench.start_server("bare", "bare_app:create_app()", HERE, env,
                                          args.workers, tmp / "bare.log"))
        lib, base = started
        with app.app_context():
            _, tokens = bench.seed_bulk(app, bare_app, run, args.users)
        ports = {"usercore": (lib.port, lib.proc.pid), "bare": (base.port, base.proc.pid),
                 "bare-wtf": (base.port, base.proc.pid)}
        sizes = []
        for name, path in PATHS.items():
            status, html = fetch(ports[name][0], path, tokens[0])
            # the same markup: four inputs, the navigation's ten links
            assert status == 200 and html.count("<input") == 4 and html.count("<li>") == 10, \
                (name, status, html)
            sizes.append(f"{name} {len(html)} bytes")
        print(f"page: {', '.join(sizes)}; 4 inputs and 10 links each")
        work = {name: page_requests(path, tokens, args.requests) for name, path in PATHS.items()}
        for name, (port, _) in ports.items():  # warm up both apps' workers and caches
            bench.check(bench.load(port, work[name][:300], args.concurrency), f"warm-up {name}")
        runs = bench.alternate(ports, work, args.concurrency, args.rounds, "page")
    finally:
        for server in started:
            server.stop()
        bench.finish_run(app, database_url, run, tmp)

    print(f"\npage render: {args.requests} requests per app and round, {args.concurrency} "
          f"clients, {args.rounds} rounds (median round shown)")
    ratio = bench.report(runs, f"GET {PATHS['usercore']}", f"GET {PATHS['bare']}")
    print(bench.row(f"bare-wtf GET {PATHS['bare-wtf']}", bench.median_result(runs["bare-wtf"])))
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(f"  ratio usercore/bare (median of the rounds' ratios): {ratio:.3f}  "
          f"(target >= {TARGET}: {verdict})")
    wtf = statistics.median(a.rps / b.rps for a, b in zip(runs["usercore"], runs["bare-wtf"],
                                                           strict=True))
    print(f"  ratio usercore/bare-wtf (the bare page with a Flask-WTF form): {wtf:.3f}")
    lib_cpu = statistics.median(r.cpu_ms for r in runs["usercore"] if r.cpu_ms) \
        if any(r.cpu_ms for r in runs["usercore"]) else None
    if lib_cpu is not None:
        print(f"  usercore server CPU per page: {lib_cpu:.3f} ms (median of the rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
