"""The safety of ``single_statements`` (services/context.py) without a database."""

from __future__ import annotations

from typing import Any

import pytest

from flask_usercore.services import context


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
