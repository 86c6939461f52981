"""Sessions and tokens against the bare Flask app, side by side, under gunicorn, in one run.

Uses the servers, seeding and load generator of ``bench.py`` (see ``benchmarks/README.md``):

(c) list-sessions latency: ``GET /v2/users/self/sessions`` for a user with ``--sessions``
    sessions (pages of 100 and the whole list at ``limit=1000``), requests sent one at a time,
    against the bare app's ``GET /sessions`` (the same rows, dicts built by hand, the same
    User-Agent parser);
(d) the token-authenticated ``GET /v2/users/self`` with an **API token**,
(e) the same with a **session token**,
(f) the same with **--stale-users** users (100,000) whose tokens were each last used over a
    minute ago, every request presenting a token not used before in the run: the case the
    old "write at most once a minute" paid a second transaction for.

Run from the repository root: ``python benchmarks/tokens.py`` (``DATABASE_URL=...`` for
PostgreSQL; ``--help`` for the options).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import bench  # noqa: E402  (after the path is set)

AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "python-httpx/0.28.1",
)


def create_api_token(port: int, session_token: str) -> str:
    status, body = bench.call(port, "POST", "/v2/users/self/api-tokens",
                              {"description": "benchmark", "roles": ["api_read"]},
                              headers={"x-access-token": session_token})
    assert status == 201, (status, body)
    token: str = body["token"]
    return token


def seed_sessions(app: Any, session_token: str, count: int) -> None:
    """``count`` more sessions for the user of ``session_token`` (various User-Agents)."""
    from sqlalchemy import insert, select

    from flask_usercore.models import Credential, CredentialKind, utcnow
    from flask_usercore.security.tokens import hash_token, new_token

    session = app.extensions["usercore"].deps.session
    user_id = session.scalar(select(Credential.user_id)
                             .where(Credential.token_hash == hash_token(session_token)))
    now = utcnow()
    session.execute(insert(Credential), [
        {"id": uuid.uuid4(), "user_id": user_id, "kind": CredentialKind.SESSION,
         "token_hash": hash_token(new_token()), "user_agent": AGENTS[i % len(AGENTS)],
         "ip_address": f"198.51.100.{i % 250}", "created_at": now - dt.timedelta(minutes=i),
         "last_used_at": now - dt.timedelta(minutes=i),
         "expires_at": now + dt.timedelta(hours=1)} for i in range(count)])
    session.commit()


def make_stale(app: Any, run: str) -> None:
    """Every seeded user's token: last used two minutes ago."""
    from sqlalchemy import select, update

    from flask_usercore.models import Credential, User, utcnow

    session = app.extensions["usercore"].deps.session
    ids = select(User.id).where(User.email.like(f"bench-{run}-%"))
    session.execute(update(Credential).where(Credential.user_id.in_(ids))
                    .values(last_used_at=utcnow() - dt.timedelta(minutes=2)))
    session.commit()


def fresh_rounds(ports: dict[str, tuple[int, int]], paths: dict[str, str],
                 tokens: Sequence[str], requests: int, concurrency: int,
                 rounds: int) -> dict[str, list[bench.Result]]:
    """Like ``bench.alternate``, but every round presents tokens not used before."""
    runs: dict[str, list[bench.Result]] = {name: [] for name in ports}
    names = list(ports)
    for number in range(rounds):
        chunk = tokens[number * requests:(number + 1) * requests]
        assert len(chunk) == requests, "not enough tokens: raise --stale-users"
        for name in names if number % 2 == 0 else names[::-1]:
            port, master = ports[name]
            result = bench.load(port, bench.get_requests(paths[name], chunk, requests),
                                concurrency, master)
            bench.check(result, f"stale GET {name}")
            runs[name].append(result)
    return runs


def verdict(ratio: float) -> str:
    return f"ratio usercore/bare (median of the rounds' ratios): {ratio:.3f}  (target >= 0.9: " \
        f"{'met' if ratio >= 0.9 else 'MISSED'})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="GETs per app and round")
    parser.add_argument("--list-requests", type=int, default=100,
                        help="session lists per app and round, one at a time (100)")
    parser.add_argument("--sessions", type=int, default=1000,
                        help="sessions of the listing user (1000)")
    parser.add_argument("--stale-users", type=int, default=100_000,
                        help="users with a token last used over a minute ago (100000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes (4)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="usercore-tokens-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    outbox = tmp / "outbox"
    env = {**os.environ, "DATABASE_URL": database_url, "USERCORE_MAIL_OUTBOX": str(outbox),
           "SECRET_KEY": bench.SECRET_KEY,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX", "SECRET_KEY")})
    import bare_app

    from example_app import create_app

    app = create_app(dict(bench.LIBRARY_CONFIG))
    bare_app.create_app()
    db_name = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite file"
    print(f"database: {db_name}; gunicorn: {args.workers} sync workers per app; clients: "
          f"{args.concurrency} processes; rounds: {args.rounds}")
    results: dict[str, dict[str, list[bench.Result]]] = {}
    try:
        with bench.servers(env, args.workers, tmp) as (lib, base), app.app_context():
            token = bench.seed_through_api(lib.port, outbox, f"bench-{run}-api@example.com")
            bench.mirror_token(app, bare_app, token)
            api_token = create_api_token(lib.port, token)
            bench.mirror_token(app, bare_app, api_token)
            seed_sessions(app, token, args.sessions - 1)
            _, stale = bench.seed_bulk(app, bare_app, run, args.stale_users)
            make_stale(app, run)
            print(f"seeded: {args.sessions} sessions of one user, {args.stale_users} users with "
                  f"a stale token; SQL statements per GET with a stale token: "
                  f"{bench.count_queries(app, stale[-1])}")
            ports = {"usercore": (lib.port, lib.proc.pid), "bare": (base.port, base.proc.pid)}
            auth = {"x-access-token": token}
            lists = {
                "usercore 100": [("GET", "/v2/users/self/sessions?limit=100", None, auth)],
                "bare 100": [("GET", "/sessions?limit=100", None, auth)],
                "usercore 1000": [("GET", "/v2/users/self/sessions?limit=1000", None, auth)],
                "bare 1000": [("GET", "/sessions?limit=1000", None, auth)]}
            for name, (port, _) in ports.items():  # warm-up: workers, caches, the UA rules
                bench.check(bench.load(port, bench.get_requests(
                    "/v2/users/self" if name == "usercore" else "/me", [token], 300),
                    args.concurrency), f"warm-up {name}")
                for key, request in lists.items():
                    if key.startswith(name):
                        bench.check(bench.load(port, request * 10, 1), f"warm-up {key}")
            for size in ("100", "1000"):
                work = {name: lists[f"{name} {size}"] * args.list_requests for name in ports}
                results[f"list {size}"] = bench.alternate(ports, work, 1, args.rounds,
                                                          f"list {size}")
            for label, presented in (("API token", api_token), ("session token", token)):
                work = {"usercore": bench.get_requests("/v2/users/self", [presented],
                                                       args.requests),
                        "bare": bench.get_requests("/me", [presented], args.requests)}
                results[label] = bench.alternate(ports, work, args.concurrency, args.rounds,
                                                 label)
            results["stale"] = fresh_rounds(ports, {"usercore": "/v2/users/self",
                                                    "bare": "/me"}, stale, args.requests,
                                            args.concurrency, args.rounds)
    finally:
        bench.finish_run(app, database_url, run, tmp)

    for size in ("100", "1000"):
        print(f"\n(c) list sessions, limit={size} of {args.sessions}: {args.list_requests} "
              f"requests per app and round, one at a time")
        ratio = bench.report(results[f"list {size}"], "GET /v2/users/self/sessions",
                             "GET /sessions")
        p50 = statistics.median(r.percentile(50) for r in results[f"list {size}"]["usercore"])
        print(f"  usercore p50 (median of rounds): {p50 * 1000:.2f} ms; throughput ratio "
              f"usercore/bare: {ratio:.3f}")
    for key, title in (("API token", "(d) GET /v2/users/self with an API token"),
                       ("session token", "(e) GET /v2/users/self with a session token"),
                       ("stale", f"(f) GET /v2/users/self, {args.stale_users} users, each "
                                 "token last used over a minute ago")):
        print(f"\n{title}: {args.requests} requests per app and round")
        ratio = bench.report(results[key], "GET /v2/users/self", "GET /me")
        print("  " + verdict(ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
