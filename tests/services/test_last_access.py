"""The last-access buffer alone: an in-memory SQLite database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, event, select, update

from flask_usercore.models import Credential, utcnow
from flask_usercore.runtime.last_access import LastAccess


class FakeSession:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def get_bind(self, mapper: Any) -> Any:
        assert mapper is Credential
        return self.engine


def test_an_in_memory_database_is_never_flushed_to() -> None:
    engine = create_engine("sqlite://")  # one connection shared by all threads
    buffer = LastAccess(interval=1)
    credential_id, when = uuid.uuid4(), utcnow()
    buffer.record(credential_id, when, FakeSession(engine))
    assert buffer.flush() == 0
    assert buffer.pending(credential_id) == when  # the buffer stays the record
    engine.dispose()



def test_close_writes_what_is_buffered_and_detaches(app: Flask, user: dict[str, Any]) -> None:
    """What a test (or an app's teardown) calls before disposing the engine: afterwards the
    background thread has nothing to write with, so no connection outlives the engine."""
    buffer = app.extensions["usercore"].deps.last_access
    client = app.test_client()
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200
    assert buffer.close() >= 1
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200
    assert buffer.pending  # recorded in the buffer only
    assert buffer.flush() == 0


def test_one_flush_writes_many_credentials_in_one_statement_never_back(
        app: Flask, user: dict[str, Any], login: Any) -> None:
    for _ in range(3):
        login(user["email"])
    session = app.extensions["usercore"].core.db.session
    now = utcnow()
    with app.app_context():
        ids = session.scalars(select(Credential.id).where(
            Credential.user_id == uuid.UUID(user["userId"]))).all()
        session.execute(update(Credential).values(last_used_at=now - dt.timedelta(hours=1)))
        session.commit()
        engine = session.get_bind(Credential)
    assert len(ids) == 4
    later = now + dt.timedelta(minutes=5)  # another worker wrote a later use of the first one
    with app.app_context():
        session.execute(update(Credential).where(Credential.id == ids[0])
                        .values(last_used_at=later))
        session.commit()
    buffer = app.extensions["usercore"].deps.last_access
    buffer.close()
    fresh = LastAccess()
    with app.app_context():
        for index, credential_id in enumerate(ids):
            fresh.record(credential_id, now + dt.timedelta(seconds=index), session)
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).split(None, 1)[0])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert fresh.close() == 4
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements.count("UPDATE") == 1
    with app.app_context():
        stored = dict(session.execute(select(Credential.id, Credential.last_used_at)
                                      .where(Credential.id.in_(ids))).all())
    assert abs(stored[ids[0]] - later) < dt.timedelta(milliseconds=1)  # not moved back
    for index, credential_id in enumerate(ids[1:], start=1):
        expected = now + dt.timedelta(seconds=index)
        assert abs(stored[credential_id] - expected) < dt.timedelta(milliseconds=1)
