"""The unit of work (runtime/unit_of_work.py): durable writes, the closing write, the
connection of Core statements, autocommit left behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select, update

from flask_usercore.commands.registration import Person, Register
from flask_usercore.models import Credential, OneTimeCode, User
from flask_usercore.models.codes import CodePurpose
from flask_usercore.runtime import unit_of_work
from flask_usercore.runtime.unit_of_work import CLOSING_WRITE, RunMode
from flask_usercore.services import authentication, registration
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
    info: dict[str, Any] = {unit_of_work._SINGLE: busy}

    unit_of_work._autocommit_off(info)

    assert busy.closed and not info
    assert "left busy in autocommit" in caplog.text


def _user(deps: Deps, email: str = "ada@example.com") -> User:
    return registration.create_user(
        deps, Register(email, SERVICE_PASSWORD, Person("Ada", "Lovelace")))


def test_the_connection_flushes_pending_changes_first(deps: Deps) -> None:
    """A session started for a user the unit of work has not written yet (its row is the
    foreign key of the session's row) works as with ``Session.execute``."""
    stored = _user(deps)
    columns = {column.key: getattr(stored, column.key) for column in User.__table__.columns}
    user = User(**{**columns, "id": uuid.uuid4(), "email": "new@example.com",
                   "email_key": "new@example.com"})
    deps.session.add(user)
    assert user in deps.session.new

    issued = authentication.start_session(deps, user, ClientInfo())
    deps.uow.commit()

    credential = deps.session.get(Credential, issued.credential.id)
    assert credential is not None and credential.user_id == user.id


def _code(deps: Deps, user: User) -> OneTimeCode:
    code = OneTimeCode(user_id=user.id, purpose=CodePurpose.PASSWORD_RESET, target=None,
                       code_hash="x" * 64, expires_at=user.created_at)
    deps.session.add(code)
    return code


def test_a_durable_write_refuses_to_run_after_an_executed_write(deps: Deps) -> None:
    """The guard sees writes that already went to the database, not only pending objects:
    committing here would make the earlier UPDATE survive the operation's rollback."""
    user = _user(deps)
    code = _code(deps, user)
    deps.uow.commit()
    deps.session.execute(update(User).where(User.id == user.id).values(nickname="changed"))
    assert not (deps.session.new or deps.session.dirty)

    with pytest.raises(RuntimeError, match="before the operation writes"):
        deps.uow.durable(update(OneTimeCode).where(OneTimeCode.id == code.id)
                         .values(attempts=OneTimeCode.attempts + 1))
    deps.uow.rollback()

    assert deps.session.scalar(select(User.nickname).where(User.id == user.id)) is None


def test_a_durable_write_outlives_the_rollback(deps: Deps) -> None:
    user = _user(deps)
    code = _code(deps, user)
    deps.uow.commit()
    deps.session.execute(select(User.id))  # reads before it are fine

    counted = deps.uow.durable(update(OneTimeCode).where(OneTimeCode.id == code.id)
                               .values(attempts=OneTimeCode.attempts + 1))
    deps.session.execute(update(User).where(User.id == user.id).values(nickname="later"))
    deps.uow.rollback()

    assert counted == 1
    assert deps.session.scalar(select(OneTimeCode.attempts)
                               .where(OneTimeCode.id == code.id)) == 1
    assert deps.session.scalar(select(User.nickname).where(User.id == user.id)) is None


def test_a_durable_write_refuses_after_a_pending_change(deps: Deps) -> None:
    _user(deps)
    with pytest.raises(RuntimeError):
        deps.uow.durable(update(User).values(nickname="x"))
    deps.uow.rollback()


def test_a_write_after_the_closing_write_is_refused(app: Flask, deps: Deps) -> None:
    """Only where single statements run in autocommit (PostgreSQL with psycopg 3): the
    closing write committed alone, so a later write could not join it."""
    user = _user(deps)
    row = {"id": uuid.uuid4(), "user_id": user.id, "kind": "api_token",
           "token_hash": uuid.uuid4().hex, "created_at": user.created_at}
    deps.uow.commit()  # (nothing loads after it: the operation starts with no statement)
    deps.uow.start(RunMode.SINGLE_STATEMENTS)
    deps.session.execute(select(User.id))  # the first statement, alone
    deps.uow.connection().execute(
        insert(Credential).execution_options(**{CLOSING_WRITE: True}), row)
    single = deps.uow.strategy is not None and deps.uow.strategy.has_single_statements
    if single:
        with pytest.raises(RuntimeError, match="closing write"):
            deps.session.execute(update(User).values(nickname="x"))
    deps.uow.rollback()
    assert (deps.session.get(Credential, row["id"]) is not None) is single


def test_the_listeners_are_bound_to_the_library_engine_only(app: Flask, deps: Deps) -> None:
    """Never on the Engine or Pool class (the host's engines are left alone); the statement
    listeners only where single statements need them (PostgreSQL with psycopg 3): elsewhere
    SQLAlchemy would set up their dispatch for every connection, for nothing."""
    from sqlalchemy import Engine, event
    from sqlalchemy.pool import Pool

    engine = deps.uow.engine
    assert engine is not None and deps.uow.strategy is not None
    assert not event.contains(Pool, "checkin", unit_of_work._on_checkin)
    assert not event.contains(Engine, "before_cursor_execute", unit_of_work._before_execute)
    assert event.contains(engine, "checkin", unit_of_work._on_checkin)
    assert event.contains(engine, "before_cursor_execute", unit_of_work._before_execute) \
        is deps.uow.strategy.has_single_statements


def test_an_update_that_changed_nothing_does_not_block_a_durable_write(deps: Deps) -> None:
    """A request that lost a race (its conditional UPDATE matched no row) may still make
    its durable write (the revocation of a reused OAuth2 code)."""
    user = _user(deps)
    code = _code(deps, user)
    deps.uow.commit()
    deps.session.execute(update(User).where(User.id == uuid.uuid4()).values(nickname="x"))

    assert deps.uow.durable(update(OneTimeCode).where(OneTimeCode.id == code.id)
                            .values(attempts=OneTimeCode.attempts + 1)) == 1
