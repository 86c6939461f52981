"""What the request log (``flask_usercore/runtime/request_log.py``) costs per request, in-process.

    python benchmarks/request_log_overhead.py                  # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://... python benchmarks/request_log_overhead.py

Three apps of ``example_app`` on one database and one user's session token, driven through
the Flask test client with ``GET /v2/users/self``, ``--requests`` requests each, in turn,
``--rounds`` times with the order rotated every round:

- ``off``: ``USERCORE_REQUEST_LOG = False`` (no hooks at all);
- ``silent``: the default, nobody listens (the logger is not enabled for INFO): the request
  id is read or made and echoed, no record is built;
- ``json``: the logger at INFO with a handler writing :class:`JsonFormatter` lines to an
  in-memory stream (what a host that keeps the records pays, without its I/O).

Prints the median CPU time (``time.process_time``) per request of each, and the differences.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PASSWORD = "correct horse battery staple 9"


def cpu_per_request_us(app: Flask, headers: dict[str, str], requests: int) -> float:
    """CPU microseconds per ``GET /v2/users/self`` over ``requests`` calls."""
    client = app.test_client()
    start = time.process_time()
    for _ in range(requests):
        response = client.get("/v2/users/self", headers=headers)
        assert response.status_code == 200
    return (time.process_time() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="usercore-reqlog-"))
    url = os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'reqlog.db'}")

    from example_app import create_app
    from flask_usercore.commands.registration import Person, Register
    from flask_usercore.models import utcnow
    from flask_usercore.runtime.request_log import LOGGER_NAME, JsonFormatter
    from flask_usercore.services.context import commit
    from flask_usercore.services.registration import create_user

    base = {"SQLALCHEMY_DATABASE_URI": url, "USERCORE_MAIL_OUTBOX": str(folder),
            "USERCORE_RATELIMIT_AUTH": ""}
    apps = {"off": create_app({**base, "USERCORE_REQUEST_LOG": False}),
            "silent": create_app(base), "json": create_app(base)}
    deps = apps["off"].extensions["usercore"].deps
    email = f"reqlog-{time.time_ns()}@example.com"
    with apps["off"].app_context():
        create_user(deps, Register(email, PASSWORD, Person("Ada", "Lovelace")),
                    verified_at=utcnow())
        commit(deps.session)
    login = apps["off"].test_client().post("/v2/authenticate",
                                           json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['token']}"}  # type: ignore[index]

    logger = logging.getLogger(LOGGER_NAME)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())

    def listening(on: bool) -> None:
        if on:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
        else:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
        logger.propagate = not on  # the records go to the sink only

    names = list(apps)
    results: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up
        listening(name == "json")
        cpu_per_request_us(apps[name], headers, 200)
    for round_ in range(args.rounds):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            listening(name == "json")
            sink.seek(0)
            sink.truncate()
            results[name].append(cpu_per_request_us(apps[name], headers, args.requests))
    listening(False)
    median = {name: statistics.median(values) for name, values in results.items()}
    print(f"database: {url.split(':', 1)[0]}; {args.requests} requests x {args.rounds} rounds")
    for name in names:
        runs = ", ".join(f"{v:.0f}" for v in results[name])
        print(f"{name:7} {median[name]:8.1f} us CPU per request (median; rounds: {runs})")
    for name in ("silent", "json"):  # paired per round: drift of the machine cancels out
        paired = statistics.median(a - b for a, b in zip(results[name], results["off"],
                                                         strict=True))
        print(f"{name} - off: {paired:+.1f} us per request (median of the rounds' differences)")


if __name__ == "__main__":
    main()
