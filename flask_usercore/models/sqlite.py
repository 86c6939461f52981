"""SQLite enforces foreign keys on the extension's connections, as PostgreSQL always does.

SQLite ignores ``FOREIGN KEY`` clauses, ``ON DELETE CASCADE`` included, unless each connection
says ``PRAGMA foreign_keys=ON``. :func:`enforce_foreign_keys` (called by ``init_app``) makes
the engine that the extension's models use say it on every connection, so deleting a user
removes its credentials, codes and MFA rows on SQLite too. The engine is never disposed or
rebuilt (an in-memory database on a ``StaticPool`` would be lost): a connection opened before
``init_app`` gets the pragma when it is next checked out.

Rebuilding a table (Alembic's batch mode on SQLite: copy, ``DROP``, rename) must run with
foreign keys off, or the ``DROP`` of ``usercore_users`` would cascade to every child row:
:func:`foreign_keys_off` does that for the migration runner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import Flask, appcontext_pushed
from sqlalchemy import event
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


def enforce_foreign_keys(app: Flask, db: SQLAlchemy) -> None:
    """Turn SQLite's foreign keys on for the engine of the extension's models in ``app``.

    Other engines (the host's other binds) are left alone. When ``db.init_app(app)`` has not
    run yet, the listener is installed at the first app context, before any query can run.
    """
    with app.app_context():
        engine = _models_engine(db)
    if engine is not None:
        _install(engine)
        return

    def install_later(sender: Flask, **extra: Any) -> None:
        later = _models_engine(db)  # signalled inside the new app context
        if later is not None:
            _install(later)
            appcontext_pushed.disconnect(install_later, sender=app)

    appcontext_pushed.connect(install_later, sender=app, weak=False)


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
