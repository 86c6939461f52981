"""The last-access buffer alone: an in-memory SQLite database."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import create_engine

from flask_usercore.last_access import LastAccess
from flask_usercore.models import Credential, utcnow


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
