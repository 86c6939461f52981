"""One unit of work per operation: its transaction, its after-commit actions, and the
database-specific ways it runs, chosen once per app.

The operation wrapper owns it (``flask_usercore/web/operation.py``): it starts it in the
mode the operation declares (:class:`RunMode`), and ends it once, with a commit, the end
of a read, or a rollback. Services never commit or roll back; they use what it offers:

- :meth:`UnitOfWork.after_commit`: an action (mail, SMS, signal) once the commit is done;
- :meth:`UnitOfWork.connection`: the transaction's connection, for Core statements;
- :meth:`UnitOfWork.durable`: the one write that outlives a failing operation (a counter of
  wrong guesses, the revocation of a reused refresh token); it refuses to run once the
  operation wrote anything, through any path;
- :meth:`UnitOfWork.relaxed` and :meth:`UnitOfWork.relax_durability`: writes whose loss in a
  server crash is harmless (a new session, a remembered first factor) need not wait for the
  database's disk flush;
- :data:`CLOSING_WRITE`: the execution option of an operation's last write.

What differs between databases lives in a :class:`Strategy`, chosen by
:meth:`UnitOfWork.bind` from the library's own engine (the one its models use) at
``init_app``; its listeners are bound to that engine only, never to the host's. With
psycopg 3 (PostgreSQL):

- a read ends with a ``COMMIT`` (a ``ROLLBACK`` would drop the connection's prepared
  statements);
- an operation declared :attr:`RunMode.SINGLE_STATEMENTS` (the login: a lookup, then one
  ``INSERT``) runs its first statement, a read, and its closing write
  (:data:`CLOSING_WRITE`) each as a transaction of its own, with no ``BEGIN`` or ``COMMIT``
  round trip. Any other statement opens one transaction before it runs, which the operation
  commits (a rehash, the MFA steps). A write after a closing write is a programming error;
- relaxed writes turn ``synchronous_commit`` off for their transaction.

Anywhere else (SQLite is in-process) those are no-ops.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, func
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.expression import Executable

from ..models import Credential

logger = logging.getLogger("flask_usercore")

AnySession = scoped_session[Any] | Session
_Statement = TypeVar("_Statement", bound=Executable)

#: ``Session.get_bind`` arguments naming the library's tables (a host may bind them apart).
LIBRARY_BIND: dict[str, Any] = {"mapper": Credential}
#: The execution option that marks an operation's closing write (see the module's text).
CLOSING_WRITE = "usercore_closing_write"

#: Key of the after-commit queue in ``Session.info``.
_AFTER_COMMIT = "usercore_after_commit"
#: Key of the operation's run mode in ``Session.info``.
_MODE = "usercore_mode"
#: Keys in the pooled connection's ``info``: a write ran in its current transaction; the
#: psycopg connection that single statements put into autocommit; a statement ran alone; a
#: closing write ran.
_WROTE = "usercore_wrote"
_SINGLE = "usercore_single_statements"
_STARTED = "usercore_started"
_CLOSED = "usercore_closed"
#: SQLite's ``total_changes`` of the pooled connection when it was checked out.
_CHANGES = "usercore_changes"
#: psycopg's "no transaction open" status (``psycopg.pq.TransactionStatus.IDLE``).
_IDLE = 0
_WRITES = ("insert", "update", "delete", "merge")


class RunMode(enum.StrEnum):
    """How an operation runs (``Operation.runs``)."""

    #: Only reads; ends without a commit (with psycopg 3: a ``COMMIT`` of nothing).
    READ = "read"
    #: One transaction, committed once at the end.
    WRITE = "write"
    #: Reads as transactions of their own, the first write opens one transaction; the
    #: closing write may stay alone (the login: a lookup and one ``INSERT``).
    SINGLE_STATEMENTS = "single_statements"
    #: The answer goes first (the request itself only reads); the work runs after it in a
    #: unit of work of its own.
    AFTER_RESPONSE = "after_response"


class Strategy:
    """What a database does differently; this one: nothing (SQLite and the rest)."""

    #: A read ends with a COMMIT rather than the teardown's ROLLBACK.
    commits_reads = False
    #: :meth:`single_statements` does something (it needs the statement listeners, whose
    #: dispatch SQLAlchemy then sets up for every connection: about 800 Python opcodes per
    #: request, so they are bound only where they are needed).
    has_single_statements = False

    def wrote(self, connection: Connection) -> bool:
        """Whether the current transaction of ``connection`` changed rows. With SQLite, the
        connection's ``total_changes`` against its value at check-out (every commit returns
        the connection to the pool); elsewhere what the statement listener saw."""
        total = getattr(connection.connection.dbapi_connection, "total_changes", None)
        if total is None:
            return bool(connection.info.get(_WROTE))
        return bool(total != connection.info.get(_CHANGES, total))

    def relaxed(self, statement: _Statement) -> _Statement:
        """``statement`` (an INSERT or UPDATE) as a write that need not wait for the disk."""
        return statement

    def relax(self, connection: Connection) -> None:
        """Let the current transaction of ``connection`` commit without the disk flush."""

    def single_statements(self, connection: Connection) -> None:
        """Run the next statements of ``connection`` each as its own transaction."""


class PsycopgStrategy(Strategy):
    """PostgreSQL through psycopg 3."""

    commits_reads = True
    has_single_statements = True

    def wrote(self, connection: Connection) -> bool:
        return bool(connection.info.get(_WROTE))

    def __init__(self) -> None:
        #: The relaxed form of each statement, built once: a new statement object per call
        #: would have its cache key computed on every login (about 0.2 ms).
        self._relaxed: dict[Executable, Executable] = {}

    def relaxed(self, statement: _Statement) -> _Statement:
        # ``set_config(..., true)`` is ``SET LOCAL``: the same round trip as the write.
        if not isinstance(statement, Insert | Update):
            return statement
        relaxed = self._relaxed.get(statement)
        if relaxed is None:
            relaxed = statement.returning(func.set_config("synchronous_commit", "off", True))
            if len(self._relaxed) < 256:  # the library's statements are module constants
                self._relaxed[statement] = relaxed
        return relaxed  # type: ignore[return-value]

    def relax(self, connection: Connection) -> None:
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

    def single_statements(self, connection: Connection) -> None:
        driver = connection.connection.driver_connection
        if driver is None or driver.info.transaction_status != _IDLE:
            return  # something ran already: its transaction stays one
        driver.autocommit = True
        connection.connection.info[_SINGLE] = driver


def choose_strategy(engine: Engine) -> Strategy:
    """The strategy of ``engine``'s database and driver."""
    if (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg"):
        return PsycopgStrategy()
    return Strategy()


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:6].lower() in _WRITES


def _autocommit_off(info: dict[Any, Any]) -> None:
    """Leave the autocommit of single statements (``info``: the pooled connection's)."""
    driver = info.pop(_SINGLE, None)
    info.pop(_STARTED, None)
    info.pop(_CLOSED, None)
    if driver is None or not driver.autocommit or driver.closed:
        return
    try:
        driver.autocommit = False  # in autocommit no transaction is left open, but a
    except Exception:              # query cut off midway leaves the connection busy:
        logger.warning("closing a database connection left busy in autocommit")
        driver.close()             # closed, the pool replaces it rather than reuse it


def _before_execute(conn: Connection, cursor: Any, statement: str, parameters: Any,
                    context: Any, executemany: bool) -> None:
    """In single statements, open the transaction when one is needed."""
    write = _is_write(statement, context)
    info = conn.info
    if _SINGLE in info:
        closing = context is not None and context.execution_options.get(CLOSING_WRITE)
        if info.get(_CLOSED):
            if write:
                raise RuntimeError("a write after the operation's closing write: declare "
                                   "the operation RunMode.WRITE, or drop CLOSING_WRITE")
        elif closing:
            info[_CLOSED] = True  # a transaction of its own, committed by the server
        elif not write and not info.get(_STARTED):
            info[_STARTED] = True  # the first statement, a read: alone
        else:
            _autocommit_off(info)  # psycopg opens a transaction before this statement


def _after_execute(conn: Connection, cursor: Any, statement: str, parameters: Any,
                   context: Any, executemany: bool) -> None:
    """Remember a write that changed rows (an UPDATE that matched none changed nothing: a
    durable write may still follow it)."""
    if _is_write(statement, context) and getattr(cursor, "rowcount", -1) != 0:
        conn.info[_WROTE] = True


def _transaction_ended(conn: Connection) -> None:
    if not conn.invalidated:  # a lost connection's info is gone (reading it would raise)
        conn.info.pop(_WROTE, None)


def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Remember SQLite's count of changed rows when the connection is checked out."""
    total = getattr(dbapi_connection, "total_changes", None)
    if total is not None:
        record.info[_CHANGES] = total


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    """The safety net: a connection goes back into the pool as it came out."""
    if record is not None:
        record.info.pop(_WROTE, None)
        if _SINGLE in record.info:
            _autocommit_off(record.info)


class UnitOfWork:
    """The unit of work of the operations of one app (one per app, state per request in
    the request's ``Session.info``)."""

    def __init__(self, session: AnySession) -> None:
        self.session = session
        self.strategy: Strategy | None = None
        self.engine: Engine | None = None

    # -- set-up -----------------------------------------------------------------------

    def bind(self, engine: Engine) -> None:
        """Choose the strategy of ``engine`` (the library's) and listen to it alone."""
        if self.engine is engine:
            return
        self.engine, self.strategy = engine, choose_strategy(engine)
        listeners: list[tuple[str, Callable[..., None]]] = [("checkout", _on_checkout),
                                                             ("checkin", _on_checkin)]
        if self.strategy.has_single_statements:
            listeners += [("before_cursor_execute", _before_execute),
                          ("after_cursor_execute", _after_execute),
                          ("commit", _transaction_ended), ("rollback", _transaction_ended)]
        for name, listener in listeners:
            if not event.contains(engine, name, listener):
                event.listen(engine, name, listener)

    def _strategy(self) -> Strategy:
        if self.strategy is None:  # init_app ran before db.init_app: bound at first use
            self.bind(self.plain().get_bind(**LIBRARY_BIND))  # type: ignore[arg-type]
        assert self.strategy is not None  # noqa: S101 (bind sets it)
        return self.strategy

    def plain(self) -> Session:
        """The request's :class:`Session` behind the ``scoped_session``."""
        session = self.session
        return session() if isinstance(session, scoped_session) else session

    # -- the operation's side ---------------------------------------------------------

    def start(self, mode: RunMode) -> None:
        """Begin the operation's work in ``mode`` (before its first statement). Only single
        statements need anything done here."""
        if mode is not RunMode.SINGLE_STATEMENTS:
            return
        strategy = self._strategy()
        if strategy.has_single_statements:
            session = self.plain()
            session.info[_MODE] = mode
            strategy.single_statements(session.connection(bind_arguments=LIBRARY_BIND))

    def commit(self) -> None:
        """Commit the operation, then run its after-commit actions.

        An action that fails is logged and does not undo the commit (the user can ask
        again: resend operations); the remaining actions still run.
        """
        session = self.plain()
        self._leave_single_statements(session)
        session.commit()
        self._run_after_commit(session)

    def end_read(self) -> None:
        """End a read-only operation, then run its after-commit actions.

        With psycopg 3 a ``COMMIT`` of nothing (on the server as cheap as a ``ROLLBACK``,
        which would drop the connection's prepared statements); the loaded objects stay
        loaded. Elsewhere the request's teardown ends the transaction. Changes a read made
        to loaded objects by mistake are never committed: the teardown drops them.
        """
        session = self.plain()
        if self._strategy().commits_reads and not (session.new or session.dirty
                                                   or session.deleted):
            self._commit_keeping(session)
        self._run_after_commit(session)

    def rollback(self) -> None:
        """Roll the operation back and drop its after-commit actions."""
        session = self.plain()
        session.info.pop(_AFTER_COMMIT, None)
        self._leave_single_statements(session)
        session.rollback()

    def run_after_commit(self) -> None:
        """Run the queued after-commit actions (after the commit, or the end of a read)."""
        self._run_after_commit(self.plain())

    @staticmethod
    def _run_after_commit(session: Session) -> None:
        for callback in session.info.pop(_AFTER_COMMIT, ()):
            try:
                callback()
            except Exception:
                logger.exception("an after-commit action failed: %s",
                                 getattr(callback, "__qualname__", callback))

    # -- the services' side -----------------------------------------------------------

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the operation has committed; dropped on a rollback."""
        self.plain().info.setdefault(_AFTER_COMMIT, []).append(callback)

    def connection(self) -> Connection:
        """The connection of the operation's transaction for the library's tables, for Core
        statements that need no ORM (``execute`` on it skips the ORM's work per statement).
        Pending ORM changes are flushed first, as ``Session.execute`` would."""
        session = self.plain()
        session.flush()
        return session.connection(bind_arguments=LIBRARY_BIND)

    def durable(self, statement: Executable) -> int:
        """Execute one write and commit it at once, whatever becomes of the operation;
        the number of rows it touched.

        For the writes that must survive a failing request (a counter of wrong guesses, a
        revocation). It runs on the operation's own connection (a second one per request
        could exhaust the pool under load), so it must come before the operation writes
        anything, through any path: after a write (executed, if it changed rows, or pending)
        it raises ``RuntimeError`` rather than commit that write early. Loaded objects stay loaded;
        queued after-commit actions wait for the operation's commit.
        """
        session = self.plain()
        connection = session.connection(bind_arguments=LIBRARY_BIND)
        if session.new or session.dirty or session.deleted or self._strategy().wrote(connection):
            raise RuntimeError("a durable write must come before the operation writes "
                               "anything")
        result = session.execute(statement)
        self._leave_single_statements(session)
        self._commit_keeping(session)
        return int(getattr(result, "rowcount", 0))

    def relaxed(self, statement: _Statement) -> _Statement:
        """``statement`` (INSERT or UPDATE) as a write whose transaction need not wait for
        the database's disk flush: a new session, bookkeeping. The database stays
        consistent either way; revocations, password and account changes keep the full
        durability. Only for an operation's single write (with psycopg 3 it returns a row)."""
        return self._strategy().relaxed(statement)

    def relax_durability(self) -> None:
        """Let this operation's commit return before the database flushes it to disk (only
        for writes whose loss in a server crash is harmless)."""
        self._strategy().relax(self.connection())

    # -- inside -----------------------------------------------------------------------

    def _leave_single_statements(self, session: Session) -> None:
        if session.info.pop(_MODE, None) is not RunMode.SINGLE_STATEMENTS:
            return
        if session.in_transaction():
            info = session.connection(bind_arguments=LIBRARY_BIND).info
            if _SINGLE in info:
                _autocommit_off(info)

    @staticmethod
    def _commit_keeping(session: Session) -> None:
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire

