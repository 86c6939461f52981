"""``USERCORE_SQLITE_FOREIGN_KEYS``: what the library does to SQLite's foreign keys, and that
every deletion still takes its rows with it when the pragma is left off.

True (the default): the pragma is on for every connection of the library's engine, through a
listener on that engine object only. False: the pragma is left as the host has it, and the
library deletes what ``ON DELETE CASCADE`` would (models/sqlite.py ``delete_dependents``).
The deletions are checked on every database; the pragma checks are SQLite's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.pool import Pool

from flask_usercore.models import Base, OAuth2Client, OneTimeCode, User, utcnow
from flask_usercore.models.sqlite import _on_checkout, delete_dependents, foreign_keys_enforced
from flask_usercore.oauth2.clients import delete_client
from flask_usercore.services.context import commit
from tests.api.oauth2_support import new_client
from tests.api.test_cascade import counts, foreign_keys_pragma, give_every_table_a_row
from tests.conftest import PASSWORD
from tests.user_rows import row_for

OFF = {"USERCORE_SQLITE_FOREIGN_KEYS": False}
BODY = {"email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}}


def db_of(app: Flask) -> SQLAlchemy:
    db: SQLAlchemy = app.extensions["usercore"].core.db
    return db


def registered(client: FlaskClient) -> uuid.UUID:
    response = client.post("/v2/register", json=BODY)
    assert response.status_code == 201, response.json
    return uuid.UUID(response.json["userId"])


def test_the_switch_is_on_by_default(app: Flask) -> None:
    assert app.extensions["usercore"].config.sqlite_foreign_keys is True


def test_on_the_listener_is_on_the_engine_object_never_on_a_class(
        app: Flask, is_postgres: bool, tmp_path: Path) -> None:
    assert not event.contains(Engine, "checkout", _on_checkout)
    assert not event.contains(Pool, "checkout", _on_checkout)
    with app.app_context():
        assert event.contains(db_of(app).engine, "checkout", _on_checkout) is not is_postgres
    # an engine made later in the process, as a host or another library would, is untouched
    other = create_engine(f"sqlite:///{tmp_path / 'later.db'}")
    try:
        assert not event.contains(other, "checkout", _on_checkout)
        assert foreign_keys_pragma(other) == 0
    finally:
        other.dispose()


def test_off_the_pragma_is_left_as_it_is(make_app: Callable[..., Flask],
                                         is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("a SQLite pragma")
    app = make_app(OFF)
    with app.app_context():
        engine = db_of(app).engine
        assert not event.contains(engine, "checkout", _on_checkout)
        assert foreign_keys_pragma(engine) == 0
        with engine.connect() as connection:
            assert not foreign_keys_enforced(connection)


def test_off_a_host_that_turns_the_pragma_on_itself_keeps_it(
        make_app: Callable[..., Flask], is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("a SQLite pragma")

    def host_pragma(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    app = make_app(OFF)
    with app.app_context():
        engine = db_of(app).engine
        engine.dispose()  # the host's listener sees every new connection
        event.listen(engine, "connect", host_pragma)
        assert foreign_keys_pragma(engine) == 1
        with engine.connect() as connection:
            assert foreign_keys_enforced(connection)


@pytest.mark.parametrize("config", [{}, OFF], ids=["on", "off"])
def test_deleting_the_account_removes_every_row_of_it(
        make_app: Callable[..., Flask], config: dict[str, Any]) -> None:
    app = make_app(config)
    client = app.test_client()
    user_id = registered(client)
    with app.app_context():
        session = db_of(app).session
        session.execute(update(User).values(email_verified_at=utcnow()))  # may log in
        other = User(email="grace@example.com", password_hash="x", first_name="Grace",
                     last_name="Hopper")
        session.add(other)
        session.commit()
        other_id = other.id
        give_every_table_a_row(session, user_id)
        give_every_table_a_row(session, other_id)
    token = client.post("/v2/authenticate", json={
        "email": BODY["email"], "password": PASSWORD}).json["token"]
    response = client.delete("/v2/users/self", json={"password": PASSWORD},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    with app.app_context():
        session = db_of(app).session
        assert set(counts(session, user_id).values()) == {0}
        assert 0 not in counts(session, other_id).values()  # nobody else's rows
        assert session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("config", [{}, OFF], ids=["on", "off"])
def test_an_abandoned_sign_up_goes_with_its_rows(
        make_app: Callable[..., Flask], config: dict[str, Any]) -> None:
    app = make_app(config)
    client = app.test_client()
    first = registered(client)
    with app.app_context():
        session = db_of(app).session
        give_every_table_a_row(session, first)
        session.execute(update(OneTimeCode).values(expires_at=utcnow()))
        session.commit()
    second = registered(client)
    assert second != first
    with app.app_context():
        assert set(counts(db_of(app).session, first).values()) == {0}


@pytest.mark.parametrize("config", [{}, OFF], ids=["on", "off"])
def test_deleting_an_oauth2_client_removes_its_codes_and_consents(
        make_app: Callable[..., Flask], config: dict[str, Any]) -> None:
    app = make_app(config)
    user_id = registered(app.test_client())
    client_id, _ = new_client(app)
    kept_id, _ = new_client(app, name="Other App")
    with app.app_context():
        session = db_of(app).session
        children = [Base.metadata.tables["usercore_oauth2_codes"],
                    Base.metadata.tables["usercore_oauth2_consents"]]
        for table in children:
            for owner in (client_id, kept_id):
                session.execute(insert(table).values(
                    {**row_for(table, user_id), "client_id": owner}))
        session.commit()
        deps = app.extensions["usercore"].deps
        delete_client(deps, client_id)
        commit(deps.session)
        for table in children:
            assert session.scalars(select(table.c.client_id)).all() == [kept_id], table.name
        assert session.scalars(select(OAuth2Client.client_id)).all() == [kept_id]


def test_delete_dependents_does_nothing_where_the_database_cascades(
        app: Flask, user: dict[str, Any]) -> None:
    user_id = uuid.UUID(user["userId"])
    with app.app_context():
        session = db_of(app).session
        give_every_table_a_row(session, user_id)
        before = counts(session, user_id)
        connection = session.connection()
        assert foreign_keys_enforced(connection)
        delete_dependents(connection, User.__table__, User.id == user_id)
        assert counts(session, user_id) == before
        session.rollback()


def test_off_a_plain_delete_leaves_the_rows_and_delete_dependents_takes_them(
        make_app: Callable[..., Flask], is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL always cascades")
    app = make_app(OFF)
    users = User.__table__
    with app.app_context():
        session = db_of(app).session
        ada, grace = (User(email=f"{name}@example.com", password_hash="x", first_name=name,
                           last_name="X") for name in ("ada", "grace"))
        session.add_all([ada, grace])
        session.commit()
        ada_id, grace_id = ada.id, grace.id
        give_every_table_a_row(session, ada_id)
        give_every_table_a_row(session, grace_id)

        session.execute(delete(users).where(users.c.id == ada_id))
        session.commit()
        assert 0 not in counts(session, ada_id).values()  # what the documentation warns of

        # the documented remedy, before the host's own delete of a user
        connection = session.connection()
        delete_dependents(connection, users, users.c.id == grace_id)
        connection.execute(delete(users).where(users.c.id == grace_id))
        session.commit()
        assert set(counts(session, grace_id).values()) == {0}
