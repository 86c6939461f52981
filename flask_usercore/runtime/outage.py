"""A database that cannot be reached: told apart from other database errors, logged once.

A lost or refused connection (the server restarting, down, or not accepting connections yet)
is no bug of a request: the JSON error handler (``web/handlers.py``) answers it with a 503
``ServiceUnavailable`` and ``Retry-After`` instead of a 500, and :class:`Outage` logs it once
per outage with its cause (``connection refused``, ``the database system is shutting down``),
not once per request with a stack. Every other database error stays a logged 500.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

logger = logging.getLogger("flask_usercore")

#: Seconds a client is asked to wait (``Retry-After``) while the database is unreachable.
RETRY_AFTER = 5
#: SQLSTATEs of a connection that failed or was cut: class 08 (connection exception) and
#: 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")
#: An error this long after the last one starts a new outage (logged again).
QUIET_SECONDS = 10.0
#: While an outage lasts, a reminder (with the count of 503s) at most this often.
REMIND_SECONDS = 60.0


def connection_error(exc: BaseException) -> DBAPIError | None:
    """The database error in ``exc``'s chain when it is about the connection, else None.

    Connection-level: SQLAlchemy saw a disconnect (``connection_invalidated``), or an
    ``OperationalError``/``InterfaceError`` whose SQLSTATE says so, or one of a server
    driver without SQLSTATE (psycopg's "connection failed: ... Connection refused"). SQLite's
    errors (a locked or missing file, no such table) are not: they stay 500s.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError):
            return seen if _about_connection(seen) else None
        seen = seen.__cause__ or seen.__context__
    return None


def _about_connection(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    orig = error.orig
    if type(orig).__module__.partition(".")[0] == "sqlite3":
        return False
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state is None:
        return True
    return str(state).startswith(_CONNECTION_STATES)


def cause(error: DBAPIError) -> str:
    """The driver's own words, first line (``connection failed: ... Connection refused``)."""
    orig = error.orig if error.orig is not None else error
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"


class Outage:
    """This process's record of an ongoing database outage (for logging once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_error = float("-inf")
        self._last_log = float("-inf")
        self._answered = 0

    def seen(self, error: DBAPIError) -> None:
        """Note one request answered 503 for ``error``; logs the first of an outage."""
        now = time.monotonic()
        with self._lock:
            new = now - self._last_error > QUIET_SECONDS
            self._last_error = now
            if new:
                self._answered = 0
            self._answered += 1
            remind = not new and now - self._last_log >= REMIND_SECONDS
            if new or remind:
                self._last_log = now
            answered = self._answered
        if new:
            logger.error("database unreachable (%s): answering 503 until it is back",
                         cause(error))
        elif remind:
            logger.error("database still unreachable (%s): %d requests answered 503 so far",
                         cause(error), answered)


#: The one record of this process.
OUTAGE = Outage()
