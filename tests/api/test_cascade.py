"""Foreign keys hold on SQLite as on PostgreSQL: deleting a user cascades to all its rows.

SQLite ignores ``ON DELETE CASCADE`` unless a connection turns foreign keys on; ``init_app``
makes the engine of the extension's models do so (flask_usercore/models/sqlite.py), unless
``USERCORE_SQLITE_FOREIGN_KEYS`` is False (test_sqlite_foreign_keys_switch.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flask_usercore import UserCore
from flask_usercore.models import Base, User
from tests.conftest import FAST_ARGON2, PASSWORD
from tests.user_rows import row_for, user_tables

USERS = User.__table__


def give_every_table_a_row(session: Session, user_id: uuid.UUID) -> None:
    """One more row in every table with ``user_id``; fails if a table still has none."""
    for table in user_tables():
        if table.name == "usercore_mfa_secrets":  # one per user (the key is user_id)
            session.execute(delete(table).where(table.c.user_id == user_id))
        session.execute(insert(table).values(row_for(table, user_id, session)))
    session.commit()
    empty = [name for name, count in counts(session, user_id).items() if count == 0]
    assert not empty, f"tables with a user_id column that got no row: {empty}"


def counts(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    return {table.name: int(session.scalar(
        select(func.count()).select_from(table).where(table.c.user_id == user_id)) or 0)
        for table in user_tables()}


def foreign_keys_pragma(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one())


def test_every_table_with_user_id_is_covered() -> None:
    names = {table.name for table in user_tables()}
    assert {"usercore_credentials", "usercore_one_time_codes", "usercore_mfa_secrets",
            "usercore_recovery_codes"} <= names
    for table in user_tables():
        [foreign_key] = table.c.user_id.foreign_keys
        assert foreign_key.column is USERS.c.id, table.name
        assert foreign_key.ondelete == "CASCADE", table.name


def test_a_plain_delete_of_the_user_removes_every_row_of_it(
        app: Flask, user: dict[str, Any]) -> None:
    user_id = uuid.UUID(user["userId"])
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        other = User(email="grace@example.com", password_hash="x", first_name="Grace",
                     last_name="Hopper")
        session.add(other)
        session.commit()
        give_every_table_a_row(session, user_id)
        give_every_table_a_row(session, other.id)

        session.execute(delete(USERS).where(USERS.c.id == user_id))
        session.commit()

        assert set(counts(session, user_id).values()) == {0}
        assert 0 not in counts(session, other.id).values()
        assert session.scalar(select(func.count()).select_from(USERS)) == 1


def test_a_row_for_a_missing_user_is_refused(app: Flask) -> None:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        table = Base.metadata.tables["usercore_recovery_codes"]
        with pytest.raises(IntegrityError):
            session.execute(insert(table).values(row_for(table, uuid.uuid4())))
        session.rollback()


def test_the_pragma_is_on_for_the_extensions_engine_only(
        make_app: Callable[..., Flask], is_postgres: bool, tmp_path: Path) -> None:
    if is_postgres:
        pytest.skip("a SQLite pragma")
    other = f"sqlite:///{tmp_path / 'host.db'}"
    app = make_app({"SQLALCHEMY_BINDS": {"host": other}})
    with app.app_context():
        db: SQLAlchemy = app.extensions["usercore"].core.db
        assert foreign_keys_pragma(db.engine) == 1
        assert foreign_keys_pragma(db.engines["host"]) == 0
        session = db.session
        assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


@pytest.fixture
def memory_app() -> Iterator[Callable[..., Flask]]:
    """Apps on an in-memory SQLite database (one connection: a StaticPool)."""
    dbs: list[tuple[Flask, SQLAlchemy]] = []

    def factory(*, tables_first: bool = False, usercore_first: bool = False) -> Flask:
        app = Flask("usercore_memory_test")
        app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                          SQLALCHEMY_DATABASE_URI="sqlite://", **FAST_ARGON2)
        db = SQLAlchemy()
        core = UserCore(db=db)
        if usercore_first:
            core.init_app(app)
        db.init_app(app)
        if tables_first:  # the pool's one connection exists before UserCore knows it
            with app.app_context():
                Base.metadata.create_all(db.engine)
        if not usercore_first:
            core.init_app(app)
        if not tables_first:
            with app.app_context():
                Base.metadata.create_all(db.engine)
        dbs.append((app, db))
        return app

    yield factory
    for app, db in dbs:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("order", ["tables_first", "usercore_first", "usual"])
def test_in_memory_sqlite_keeps_its_data_and_cascades(
        memory_app: Callable[..., Flask], order: str) -> None:
    app = memory_app(tables_first=order == "tables_first",
                     usercore_first=order == "usercore_first")
    client = app.test_client()
    response = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert response.status_code == 201, response.json
    user_id = uuid.UUID(response.json["userId"])
    with app.app_context():
        db: SQLAlchemy = app.extensions["usercore"].core.db
        assert db.engine.pool.__class__.__name__ == "StaticPool"
        assert foreign_keys_pragma(db.engine) == 1
        give_every_table_a_row(db.session, user_id)
        db.session.execute(delete(USERS).where(USERS.c.id == user_id))
        db.session.commit()
        assert set(counts(db.session, user_id).values()) == {0}
