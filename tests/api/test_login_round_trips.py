"""A login on PostgreSQL is two round trips: the lookup and the session's ``INSERT``, each its
own transaction, with no ``BEGIN`` and no ``COMMIT`` (runtime/unit_of_work.py,
``RunMode.SINGLE_STATEMENTS``). A login that writes more (a rehash, MFA) keeps one
transaction, and
no connection goes back into the pool in autocommit.

What goes over the wire is read from libpq's protocol trace of the request's connection.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, func, select

from flask_usercore.models import Credential
from flask_usercore.runtime.unit_of_work import RunMode
from tests.conftest import PASSWORD, enable_mfa

Register = Callable[..., dict[str, Any]]
LOGIN = {"email": "ada@example.com", "password": PASSWORD}

pytestmark = pytest.mark.usefixtures("_needs_postgres")


@pytest.fixture
def _needs_postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


class Trace:
    """The frontend and backend messages of every connection the app checks out."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def round_trips(self) -> int:
        """Each round trip ends with the server's ReadyForQuery."""
        return sum("\tReadyForQuery" in line for line in self.lines)

    def queries(self) -> list[str]:
        """The simple-protocol commands (BEGIN, COMMIT, ROLLBACK) and the parsed statements."""
        return [line.split("\t")[3].split()[0].strip('"') if "\tQuery\t" in line
                else line.split('"')[3].split()[0]
                for line in self.lines
                if line.startswith("F") and ("\tQuery\t" in line or "\tParse\t" in line)]


@contextmanager
def traced(app: Flask) -> Iterator[Trace]:
    import psycopg

    db: SQLAlchemy = app.extensions["sqlalchemy"]
    with app.app_context():
        engine = db.engine
    trace = Trace()
    files: dict[int, tuple[int, str]] = {}

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        fd, _ = files[id(dbapi_connection)] = tempfile.mkstemp()
        dbapi_connection.pgconn.trace(fd)
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS
                                                | psycopg.pq.Trace.REGRESS_MODE)

    def checkin(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.pgconn.untrace()
        fd, path = files.pop(id(dbapi_connection))
        os.close(fd)
        trace.lines += Path(path).read_text().splitlines()
        os.unlink(path)

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine.pool, "checkin", checkin)
    try:
        yield trace
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine.pool, "checkin", checkin)


def pooled_autocommit(app: Flask) -> list[bool]:
    """The autocommit flag of every connection waiting in the app's pool."""
    db: SQLAlchemy = app.extensions["sqlalchemy"]
    with app.app_context():
        engine = db.engine
    connections = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        return [bool(c.driver_connection.autocommit) for c in connections]  # type: ignore[union-attr]
    finally:
        for connection in connections:
            connection.close()


def sessions_of(app: Flask) -> int:
    with app.app_context():
        db: SQLAlchemy = app.extensions["sqlalchemy"]
        return int(db.session.scalar(select(func.count()).select_from(Credential)
                                     .where(Credential.kind == "session")) or 0)


def test_a_login_is_two_round_trips(app: Flask, client: FlaskClient,
                                    register: Register) -> None:
    register()
    with traced(app) as trace:
        response = client.post("/v2/authenticate", json=LOGIN)

    assert response.status_code == 200, response.json
    assert trace.queries() == ["SELECT", "INSERT"]
    assert trace.round_trips() == 2
    assert pooled_autocommit(app) and not any(pooled_autocommit(app))
    # the session was committed: its token works from another connection
    me = client.get("/v2/users/self", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200


def test_a_wrong_password_leaves_no_autocommit_behind(app: Flask, client: FlaskClient,
                                                      register: Register) -> None:
    register()
    with traced(app) as trace:
        response = client.post("/v2/authenticate", json={**LOGIN, "password": "wrong" * 4})

    assert response.status_code == 401
    assert trace.queries() == ["SELECT"]
    assert not any(pooled_autocommit(app))


def test_a_rehash_and_the_session_are_one_transaction(
        make_app: Callable[..., Flask], client: FlaskClient, register: Register) -> None:
    register()
    stronger = make_app({"USERCORE_ARGON2_TIME_COST": 2})
    with traced(stronger) as trace:
        response = stronger.test_client().post("/v2/authenticate", json=LOGIN)

    assert response.status_code == 200
    assert trace.queries() == ["SELECT", "BEGIN", "UPDATE", "INSERT", "COMMIT"]
    assert not any(pooled_autocommit(stronger))


def test_the_mfa_answer_is_one_transaction(app: Flask, client: FlaskClient,
                                           register: Register) -> None:
    enable_mfa(app, register()["userId"])
    with traced(app) as trace:
        response = client.post("/v2/authenticate", json=LOGIN)

    assert response.status_code == 202
    queries = trace.queries()
    assert queries[:2] == ["SELECT", "BEGIN"] and queries[-1] == "COMMIT", queries
    assert not any(pooled_autocommit(app))


def test_a_session_closed_without_commit_returns_its_connection_as_it_came(
        app: Flask) -> None:
    deps = app.extensions["usercore"].deps
    with app.app_context():
        deps.uow.start(RunMode.SINGLE_STATEMENTS)
        assert deps.session.connection().connection.driver_connection.autocommit
        deps.session.close()  # neither commit() nor rollback(): the pool's checkin resets it
    assert pooled_autocommit(app) and not any(pooled_autocommit(app))
    with app.app_context():  # and a later commit() does not touch the pooled connection
        deps.uow.commit()
    assert not any(pooled_autocommit(app))


def test_a_second_statement_opens_the_transaction(app: Flask, register: Register) -> None:
    register()
    deps = app.extensions["usercore"].deps
    with app.app_context(), traced(app) as trace:
        deps.uow.start(RunMode.SINGLE_STATEMENTS)
        deps.session.execute(select(func.count()).select_from(Credential))
        deps.session.execute(select(func.count()).select_from(Credential))
        deps.uow.commit()

    assert trace.queries() == ["SELECT", "BEGIN", "SELECT", "COMMIT"]
    assert sessions_of(app) == 0
