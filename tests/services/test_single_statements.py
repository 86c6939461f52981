"""``single_statements`` and ``core_connection`` (services/context.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from flask_usercore.models import Credential, User
from flask_usercore.services import authentication, context, registration
from flask_usercore.services.context import ClientInfo, Deps
from tests.services.conftest import SERVICE_PASSWORD


class _BusyConnection:
    """A psycopg connection whose autocommit cannot be turned off (a query cut off midway)."""

    closed = False

    @property
    def autocommit(self) -> bool:
        return True

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        raise RuntimeError("can't change 'autocommit' now: connection in status ACTIVE")

    def close(self) -> None:
        self.closed = True


def test_a_connection_left_busy_in_autocommit_is_closed_not_pooled(
        caplog: pytest.LogCaptureFixture) -> None:
    busy = _BusyConnection()
    session_info: dict[str, Any] = {}
    session_info[context._SINGLE] = (busy, {context._SINGLE: busy})

    context._end_single_statements(session_info)

    assert busy.closed and not session_info
    assert "left busy in autocommit" in caplog.text


def test_core_connection_flushes_pending_changes_first(deps: Deps) -> None:
    """A session started for a user the unit of work has not written yet (its row is the
    foreign key of the session's row) works as with ``Session.execute``."""
    stored = registration.create_user(deps, email="ada@example.com", password=SERVICE_PASSWORD,
                                      person={"first_name": "Ada", "last_name": "Lovelace"})
    columns = {column.key: getattr(stored, column.key) for column in User.__table__.columns}
    user = User(**{**columns, "id": uuid.uuid4(), "email": "new@example.com",
                   "email_key": "new@example.com"})
    deps.session.add(user)
    assert user in deps.session.new

    issued = authentication.start_session(deps, user, ClientInfo())
    context.commit(deps.session)

    credential = deps.session.get(Credential, issued.credential.id)
    assert credential is not None and credential.user_id == user.id
