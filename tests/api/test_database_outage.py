"""A PostgreSQL server that goes away and comes back: JSON 503s, one log line, then 200s.

A server of the test's own (``tests/fault_servers.py``), stopped with a fast shutdown (the pool's
connections are cut) and started again. Before, every request in the outage was a 500 with a
stack trace in the log that never said "connection refused". Skipped without PostgreSQL's
server binaries. The version under load (gunicorn, restart mid-run, write audit) is
``benchmarks/faults.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import UserCore
from flask_usercore.migrations import upgrade
from flask_usercore.testing import DEFAULT_PASSWORD, make_user
from tests.conftest import FAST_ARGON2
from tests.fault_servers import ThrowawayPostgres
from tests.fault_servers import throwaway_postgres as throwaway_postgres  # the fixture


@pytest.fixture
def outage_app(throwaway_postgres: ThrowawayPostgres) -> Iterator[Flask]:
    app = Flask("usercore_outage")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                      SQLALCHEMY_DATABASE_URI=throwaway_postgres.url,
                      SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True}, **FAST_ARGON2)
    db = SQLAlchemy(app)
    UserCore(app, db=db)
    with app.app_context():
        upgrade()
    yield app
    app.extensions["usercore"].deps.last_access.close()
    with app.app_context():
        db.engine.dispose()


def test_a_stopped_database_answers_503_logged_once_and_recovers(
        outage_app: Flask, throwaway_postgres: ThrowawayPostgres,
        caplog: pytest.LogCaptureFixture) -> None:
    user = make_user(outage_app)
    client = outage_app.test_client()
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}
    token = client.post("/v2/authenticate", json=credentials).json["token"]
    headers = {"x-access-token": token}
    assert client.get("/v2/users/self", headers=headers).status_code == 200

    throwaway_postgres.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO, "flask_usercore"):
        answers = [client.get("/v2/users/self", headers=headers) for _ in range(10)]
        answers += [client.post("/v2/authenticate", json=credentials) for _ in range(3)]
        answers += [client.put("/v2/users/self/personal-information", headers=headers,
                               json={"person": {"firstName": "Grace", "lastName": "Hopper"}})]
    for answer in answers:
        assert answer.status_code == 503, answer.data
        assert answer.json["type"] == "ServiceUnavailable"
        assert int(answer.headers["Retry-After"]) >= 1
    problems = [r for r in caplog.records
                if r.name == "flask_usercore" and r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    message = problems[0].getMessage()
    assert message.startswith("database unreachable (OperationalError: ")
    assert "refused" in message or "shutting down" in message or "terminat" in message
    assert problems[0].exc_info is None and "Traceback" not in caplog.text

    throwaway_postgres.start()
    # the pool's dead connections are replaced (pre-ping): at once, no failure
    assert client.get("/v2/users/self", headers=headers).status_code == 200
    assert client.post("/v2/authenticate", json=credentials).status_code == 200
