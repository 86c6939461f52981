"""SQLite enforces foreign keys on the extension's engine, as PostgreSQL always does.

SQLite ignores ``FOREIGN KEY`` clauses, ``ON DELETE CASCADE`` included, unless each connection
says ``PRAGMA foreign_keys=ON``. With ``USERCORE_SQLITE_FOREIGN_KEYS`` (the default),
:func:`enforce_foreign_keys` (called by ``init_app``) makes the engine that the extension's
models use say it on every connection, so deleting a user removes its credentials, codes and
MFA rows on SQLite too. The pragma belongs to the connection, not to a table: the host's own
tables on that engine are then checked and cascaded as well (their ``FOREIGN KEY`` clauses
start to hold). Only that engine is touched, through a listener on that engine object, never
on the ``Engine`` or ``Pool`` class: the host's other binds and engines are left alone. The
engine is never disposed or rebuilt (an in-memory database on a ``StaticPool`` would be
lost): a connection opened before ``init_app`` gets the pragma when it is next checked out.

With ``USERCORE_SQLITE_FOREIGN_KEYS = False`` the extension leaves the pragma as the host has
it; where it is off, the library deletes the rows that ``ON DELETE CASCADE`` would remove
itself (:func:`delete_dependents`, before each delete of a user or an OAuth2 client).

Rebuilding a table (Alembic's batch mode on SQLite: copy, ``DROP``, rename) must run with
foreign keys off, or the ``DROP`` of ``usercore_users`` would cascade to every child row:
:func:`foreign_keys_off` does that for the migration runner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from flask import Flask, appcontext_pushed
from sqlalchemy import ColumnElement, FromClause, delete, event, select
from sqlalchemy.engine import Connection, Engine

from .base import Base

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

#: ``connection_record.info`` key: the pragma was set on this DBAPI connection.
_MARK = "usercore_foreign_keys"


def _pragma(dbapi_connection: Any, on: bool) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON" if on else "PRAGMA foreign_keys=OFF")
    finally:
        cursor.close()


def _on_checkout(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    if not connection_record.info.get(_MARK):
        _pragma(dbapi_connection, True)
        connection_record.info[_MARK] = True


def _install(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not event.contains(
            engine, "checkout", _on_checkout):
        event.listen(engine, "checkout", _on_checkout)


def _models_engine(db: SQLAlchemy) -> Engine | None:
    """The engine ``db.session`` uses for our tables in the current app, or None before
    ``db.init_app(app)``."""
    try:
        engines = db.engines
    except RuntimeError:  # this SQLAlchemy object does not know the app yet
        return None
    return engines.get(Base.metadata.info.get("bind_key"))


def enforce_foreign_keys(app: Flask, db: SQLAlchemy, *, on: bool = True) -> None:
    """Turn SQLite's foreign keys on for the engine of the extension's models in ``app``
    (every connection of it, the host's tables on it included); nothing when ``on`` is
    False (``USERCORE_SQLITE_FOREIGN_KEYS``).

    Other engines (the host's other binds) are left alone. When ``db.init_app(app)`` has not
    run yet, the listener is installed at the first app context, before any query can run.
    """
    if on:
        _on_engine(app, db, _install)


def create_private(app: Flask, db: SQLAlchemy) -> None:
    """Have the SQLite file of the engine of the extension's models in ``app``, when it does
    not exist yet, created readable and writable by its owner only (``0600``: it holds
    password hashes and the users' data; SQLite gives its journal and WAL files the same
    mode). An existing file keeps its mode; other databases are left alone."""
    _on_engine(app, db, _install_private)


def _on_engine(app: Flask, db: SQLAlchemy, install: Callable[[Engine], None]) -> None:
    """``install(engine)`` on the engine of our models: now, or when ``db.init_app(app)``
    has not run yet, at the first app context, before any query can run."""
    with app.app_context():
        engine = _models_engine(db)
    if engine is not None:
        install(engine)
        return

    def install_later(sender: Flask, **extra: Any) -> None:
        later = _models_engine(db)  # signalled inside the new app context
        if later is not None:
            install(later)
            appcontext_pushed.disconnect(install_later, sender=app)

    appcontext_pushed.connect(install_later, sender=app, weak=False)


def _create_file(dialect: Any, connection_record: Any, cargs: Any, cparams: Any) -> None:
    database = str(cargs[0] if cargs else cparams.get("database") or "")
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    # An empty file is an empty SQLite database. Where it cannot be made (a folder that is
    # gone, one we may not write), SQLite's own open says what is wrong.
    with suppress(OSError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _install_private(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not event.contains(
            engine, "do_connect", _create_file):
        event.listen(engine, "do_connect", _create_file)


def foreign_keys_enforced(connection: Connection) -> bool:
    """False when ``connection`` is SQLite's with ``PRAGMA foreign_keys`` off (its
    ``ON DELETE CASCADE`` does nothing); True on every other database."""
    return connection.dialect.name != "sqlite" or bool(
        connection.exec_driver_sql("PRAGMA foreign_keys").scalar())


def delete_dependents(connection: Connection, table: FromClause,
                      where: ColumnElement[bool]) -> None:
    """Delete what ``ON DELETE CASCADE`` would delete with the rows of ``table`` that match
    ``where``, when ``connection`` does not enforce foreign keys (SQLite with the pragma off:
    ``USERCORE_SQLITE_FOREIGN_KEYS = False``); nothing where the database cascades itself.

    Call it just before deleting those rows, in the same transaction. It follows the
    ``ON DELETE CASCADE`` foreign keys of the library's tables (``flask_usercore.Base``),
    grandchildren before children; the host's tables are not followed. A host that deletes
    ``usercore_users`` rows itself with the pragma off calls it first::

        delete_dependents(connection, User.__table__, User.id == user_id)
    """
    if not foreign_keys_enforced(connection):
        _delete_children(connection, table, where)


def _delete_children(connection: Connection, table: FromClause,
                     where: ColumnElement[bool]) -> None:
    for child in Base.metadata.sorted_tables:
        for key in child.foreign_keys:
            if (key.column.table is table and child is not table
                    and (key.ondelete or "").upper() == "CASCADE"):
                child_where = key.parent.in_(select(key.column).where(where))
                _delete_children(connection, child, child_where)
                connection.execute(delete(child).where(child_where))


def _foreign_keys(dbapi_connection: Any) -> int:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's foreign keys off on ``connection`` for the block, as before after it.

    Enter it before the block's transaction begins and leave it after that transaction
    ended: SQLite ignores the pragma inside a transaction (a RuntimeError says so rather than
    letting a table rebuild cascade). Does nothing on other databases.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    dbapi_connection = connection.connection.dbapi_connection
    before = _foreign_keys(dbapi_connection)
    _pragma(dbapi_connection, False)
    if _foreign_keys(dbapi_connection):
        raise RuntimeError("SQLite's foreign keys cannot be turned off inside a transaction")
    try:
        yield
    finally:
        _pragma(dbapi_connection, bool(before))


def require_foreign_keys_off(connection: Connection) -> None:
    """Raise unless foreign keys are off (checked by migrations before rebuilding a table).

    On SQLite with foreign keys on, dropping ``usercore_users`` for a rebuild would delete
    every row that references it; run migrations through :mod:`flask_usercore.migrations`.
    """
    if connection.dialect.name == "sqlite" and connection.exec_driver_sql(
            "PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "SQLite's foreign keys are on: rebuilding usercore_users would delete the rows "
            "that reference it. Run the migrations through flask_usercore.migrations "
            "(`flask usercore db upgrade`), which turns them off for the rebuild")
