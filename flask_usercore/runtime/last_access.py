"""When each credential was last used, recorded without a database write inside the request.

A request that presents a token only notes ``credential id -> time`` in this process's
:class:`LastAccess` buffer (a dict assignment). A background thread flushes every buffer of
the process every ``USERCORE_LAST_ACCESS_FLUSH_SECONDS`` seconds, in one transaction on a
connection of its own: one prebuilt ``UPDATE`` sent with the DB-API's ``executemany`` (one
pipelined batch with psycopg 3), so the
``lastAccess`` of a session and the ``lastUsed`` of an API token are accurate to that interval.
A flush never moves a time backwards (another worker may have written a later one), and the
buffer is flushed once more when the process exits. An in-memory SQLite database (one
connection shared by all threads) is never flushed to: the buffer is its record. Losing a few
seconds of last-use times in a crash is harmless: nothing is decided on them.

With a Redis rate-limit storage the pending times live in Redis instead, shared by every
worker and host (:class:`~.last_access_redis.RedisLastUse`); this process's memory is then
only the fallback while Redis cannot be reached.

Why not the earlier "write at most once a minute, after the commit": with many users most
tokens were not used in the last minute, so nearly every request paid a second transaction,
and the commit expired the objects the view still needed (benchmarks/README.md).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from ..models.credentials import Credential
from .unit_of_work import choose_strategy

if TYPE_CHECKING:
    from .last_access_redis import RedisLastUse

logger = logging.getLogger("flask_usercore")

#: Rows per ``executemany`` batch.
FLUSH_CHUNK = 500
#: How often the flusher thread looks for a buffer that is due, in seconds.
_TICK = 1.0


class LastAccess:
    """This process's buffer of last-use times, for one app's credentials table."""

    def __init__(self, interval: float = 5.0, shared: RedisLastUse | None = None) -> None:
        #: Seconds between two flushes.
        self.interval = interval
        #: Where pending uses live when the rate-limit storage is Redis (shared by every
        #: worker and host, ``last_access_redis.py``); None: this process's memory.
        self.shared = shared
        self._shared_failing = False
        self._pending: dict[uuid.UUID, dt.datetime] = {}
        self._lock = threading.Lock()
        #: Held for a whole flush, so that :meth:`close` waits for one in progress.
        self._flush_lock = threading.Lock()
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._next_flush = 0.0

    def record(self, credential_id: uuid.UUID, when: dt.datetime, session: Any) -> None:
        """Note that ``credential_id`` was used at ``when``.

        ``session`` (the request's SQLAlchemy session) gives the engine to flush with; it is
        asked once per process.
        """
        if self._pid != os.getpid():  # the first use in this process (or after a fork)
            self._start(session)
        if self.shared is not None and self._engine is not None:
            try:
                self.shared.record(credential_id, when)
            except Exception as exc:  # Redis down: keep it here, the request goes on
                self._shared_failed(exc)
            else:
                self._shared_failing = False
                return
        with self._lock:
            self._pending[credential_id] = when

    def pending(self, credential_id: uuid.UUID) -> dt.datetime | None:
        """The use of ``credential_id`` recorded and not yet flushed, if any (by any worker,
        with a shared buffer)."""
        if self.shared is None:
            return self._pending.get(credential_id)
        return self.pending_many([credential_id]).get(credential_id)

    def pending_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
        """:meth:`pending` of several credentials (a page of a list) at once."""
        found = {credential_id: when for credential_id in ids
                 if (when := self._pending.get(credential_id)) is not None}
        if self.shared is None or self._engine is None:
            return found
        try:
            there = self.shared.pending_many(ids)
        except Exception as exc:
            self._shared_failed(exc)
            return found
        for credential_id, when in there.items():
            if credential_id not in found or found[credential_id] < when:
                found[credential_id] = when
        return found

    def _shared_failed(self, exc: Exception) -> None:
        if not self._shared_failing:
            logger.warning("last-use times kept in this worker: Redis unreachable (%s)",
                           type(exc).__name__)
        self._shared_failing = True

    def due(self) -> bool:
        """Whether the interval has passed and there may be something to flush."""
        return ((bool(self._pending) or self.shared is not None)
                and time.monotonic() >= self._next_flush)

    def close(self) -> int:
        """Write what is buffered and detach from the engine (before it is disposed: an
        app's teardown, a test's end). Waits for a flush in progress; later records are kept
        in the buffer only. Returns how many credentials were written."""
        with self._flush_lock:
            written = self._flush(at_exit=False)
            self._engine = None
        return written

    def flush(self, *, at_exit: bool = False) -> int:
        """Write the buffered times now; returns how many credentials were written.

        On a database error the times go back into the buffer for the next flush (at exit
        they are dropped, and the error is only logged at INFO level).
        """
        with self._flush_lock:
            return self._flush(at_exit=at_exit)

    def _flush(self, *, at_exit: bool) -> int:
        if self._engine is None:  # nothing recorded yet, or an in-memory database
            return 0
        with self._lock:
            taken = self._pending
            self._pending = {}
            self._next_flush = time.monotonic() + self.interval
        if self.shared is not None:
            try:
                for credential_id, when in self.shared.take():
                    if credential_id not in taken or taken[credential_id] < when:
                        taken[credential_id] = when
            except Exception as exc:
                self._shared_failed(exc)
        items = sorted(taken.items())
        if not items:
            return 0
        try:
            with self._engine.begin() as connection:
                choose_strategy(self._engine).relax(connection)  # bookkeeping: no flush wait
                for first in range(0, len(items), FLUSH_CHUNK):
                    _write(connection, items[first:first + FLUSH_CHUNK])
        except SQLAlchemyError as exc:
            logger.log(logging.INFO if at_exit else logging.WARNING,
                       "last-use times could not be written (%s)", type(exc).__name__)
            if at_exit:
                return 0
            with self._lock:
                for credential_id, when in items:
                    newer = self._pending.get(credential_id)
                    if newer is None or newer < when:
                        self._pending[credential_id] = when
            return 0
        return len(items)

    def _start(self, session: Any) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # After a fork the parent's entries are the parent's to write.
            self._pending = {}
            engine = session.get_bind(Credential)
            if self.shared is not None:
                self.shared.bind(engine.url.render_as_string(hide_password=True))
            self._next_flush = time.monotonic() + self.interval
            self._pid = os.getpid()
            # One connection shared by every thread (an in-memory SQLite database): a flush
            # from another thread would commit a request's open transaction. Such a database
            # lives in this one process, so the buffer (which lists read) is the record.
            if isinstance(engine.pool, StaticPool | SingletonThreadPool):
                return
            self._engine = engine
        _flusher().add(self)


#: One credential's last use, unless a later one is stored (another worker's). Built once
#: and the same for every flush: a statement built per flush with one ``CASE`` branch and one
#: ``IN`` item per credential was compiled anew each time, which cost more worker CPU than
#: the requests that recorded the uses (benchmarks/README.md).
_UPDATE = (update(Credential)
           .where(Credential.id == bindparam("credential_id"),
                  or_(Credential.last_used_at.is_(None),
                      Credential.last_used_at < bindparam("used")))
           .values(last_used_at=bindparam("used")))


#: The same on PostgreSQL as one statement with two array parameters: no per-row statement
#: on either side (about half the server's CPU per row of ``executemany``).
_UPDATE_PG = text(
    "UPDATE usercore_credentials AS c SET last_used_at = v.used"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:used AS timestamptz[])) AS v(id, used)"
    " WHERE c.id = v.id AND (c.last_used_at IS NULL OR c.last_used_at < v.used)")


def _write(connection: Connection, items: list[tuple[uuid.UUID, dt.datetime]]) -> None:
    """Give each credential of ``items`` its time, unless a later one is stored."""
    if connection.dialect.name == "postgresql":
        connection.execute(_UPDATE_PG, {"ids": [credential_id for credential_id, _ in items],
                                        "used": [when for _, when in items]})
    else:
        connection.execute(_UPDATE, [{"credential_id": credential_id, "used": when}
                                     for credential_id, when in items])


class _Flusher:
    """The process's one background thread, flushing every live buffer when it is due."""

    def __init__(self) -> None:
        self.buffers: weakref.WeakSet[LastAccess] = weakref.WeakSet()
        self.pid = os.getpid()
        thread = threading.Thread(target=self._run, name="usercore-last-access", daemon=True)
        thread.start()

    def add(self, buffer: LastAccess) -> None:
        self.buffers.add(buffer)

    def _run(self) -> None:
        while True:
            time.sleep(_TICK)
            for buffer in list(self.buffers):
                if buffer.due():
                    try:
                        buffer.flush()
                    except Exception:  # never let the thread die
                        logger.exception("flushing last-use times failed")

    def flush_all(self) -> None:
        for buffer in list(self.buffers):
            try:
                buffer.flush(at_exit=True)
            except Exception:
                logger.exception("flushing last-use times at exit failed")


_flusher_instance: _Flusher | None = None
_flusher_lock = threading.Lock()


def _flusher() -> _Flusher:
    """The flusher of this process, started on first use (again in a forked child)."""
    global _flusher_instance
    with _flusher_lock:
        if _flusher_instance is None or _flusher_instance.pid != os.getpid():
            _flusher_instance = _Flusher()
            atexit.register(_flusher_instance.flush_all)
        return _flusher_instance
