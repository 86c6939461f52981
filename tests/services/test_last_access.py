"""The last-access buffer alone: an in-memory SQLite database."""

from __future__ import annotations

import uuid
from typing import Any

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

