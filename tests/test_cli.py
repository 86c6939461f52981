"""``flask usercore ...``: the migration commands and ``create-user``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, inspect, select

from flask_usercore import UserCore
from flask_usercore.migrations import VERSION_TABLE, head
from flask_usercore.models import Base, User
from tests.conftest import FAST_ARGON2, PASSWORD


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty SQLite file: no usercore table yet."""
    app = Flask("usercore_cli_test")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}", **FAST_ARGON2)
    db = SQLAlchemy(app)
    UserCore(app, db=db)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _create_user(runner: FlaskCliRunner, *extra: str, email: str = "ada@example.com",
                 password: str = PASSWORD) -> Any:
    return runner.invoke(args=["usercore", "create-user", "--email", email, "--first-name",
                               "Ada", "--last-name", "Lovelace", "--password", password,
                               *extra])


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        engine = app.extensions["usercore"].core.db.engine
        return set(inspect(engine).get_table_names())


def test_db_upgrade_current_downgrade_then_create_a_verified_user_who_logs_in(
        fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["usercore", "db", "current"])
    assert (result.exit_code, result.output) == (0, "base\n")

    result = runner.invoke(args=["usercore", "db", "upgrade"])
    assert (result.exit_code, result.output) == (0, f"{head()} (head)\n"), result.output
    assert _tables(fresh_app) == set(Base.metadata.tables) | {VERSION_TABLE}
    result = runner.invoke(args=["usercore", "db", "upgrade", "head"])
    assert (result.exit_code, result.output) == (0, f"{head()} (head)\n")
    result = runner.invoke(args=["usercore", "db", "current"])
    assert (result.exit_code, result.output) == (0, f"{head()} (head)\n")

    result = runner.invoke(args=["usercore", "db", "downgrade", "base"])
    assert (result.exit_code, result.output) == (0, "base\n")
    assert _tables(fresh_app) == set()
    assert runner.invoke(args=["usercore", "db", "upgrade", head()]).exit_code == 0

    result = _create_user(runner, "--verified")
    assert result.exit_code == 0, result.output
    user_id = result.output.strip()
    response = fresh_app.test_client().post("/v2/authenticate", json={
        "email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.json
    assert response.json["token"]
    profile = fresh_app.test_client().get(
        "/v2/users/self", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert profile.json["userId"] == user_id
    assert profile.json["emailVerified"] is True


def test_db_downgrade_to_an_unknown_revision_fails_with_a_message(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["usercore", "db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["usercore", "db", "downgrade", "nosuchrev"])
    assert result.exit_code == 1
    assert "Error: " in result.output and "nosuchrev" in result.output
    assert runner.invoke(args=["usercore", "db", "current"]).output == f"{head()} (head)\n"
    result = runner.invoke(args=["usercore", "db", "downgrade"])
    assert result.exit_code == 2
    assert "Missing argument 'REVISION'" in result.output


def test_db_help_texts_are_the_docstrings(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["usercore", "db", "--help"])
    assert result.exit_code == 0
    for line in ("upgrade    Upgrade to REVISION (default: head).",
                 "downgrade  Downgrade to REVISION.", "current    Print the current revision."):
        assert line in result.output
    result = runner.invoke(args=["usercore", "--help"])
    assert re.search(r"create-user +Create an account \(no verification mail\)\.",
                     result.output)


def test_create_user_without_verified_cannot_log_in_yet(
        make_app: Callable[..., Flask], mailbox: Any) -> None:
    app = make_app()
    result = _create_user(app.test_cli_runner(), email="Grace@Example.com")
    assert result.exit_code == 0, result.output
    response = app.test_client().post("/v2/authenticate", json={
        "email": "grace@example.com", "password": PASSWORD})
    assert response.status_code == 401
    assert [e["type"] for e in response.json["validationErrors"]] == ["EmailAddressNotVerified"]
    assert mailbox.sent == []
    with app.app_context():
        db: SQLAlchemy = app.extensions["usercore"].core.db
        user = db.session.scalars(select(User)).one()
        assert str(user.id) == result.output.strip()
        assert user.email_verified_at is None


def test_create_user_refuses_a_weak_password_with_a_clear_message(
        make_app: Callable[..., Flask]) -> None:
    app = make_app()
    result = _create_user(app.test_cli_runner(), "--verified", password="password")
    assert result.exit_code == 1
    assert result.output.startswith("Error: --password: ")
    assert "(PasswordTooWeak)" in result.output or "(PasswordIsBlocked)" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        db: SQLAlchemy = app.extensions["usercore"].core.db
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_a_bad_or_taken_email(make_app: Callable[..., Flask]) -> None:
    runner = make_app().test_cli_runner()
    result = _create_user(runner, email="not-an-address")
    assert result.exit_code == 1
    assert "Error: --email: Not a valid email address." in result.output
    assert _create_user(runner).exit_code == 0
    result = _create_user(runner, email="ADA@example.com")
    assert result.exit_code == 1
    assert "--email: the e-mail address is already in use (EmailInUse)" in result.output


def test_create_user_prompts_for_the_password_twice(make_app: Callable[..., Flask]) -> None:
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["usercore", "create-user", "--email", "ada@example.com",
                                 "--first-name", "Ada", "--last-name", "Lovelace"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output and "Repeat for confirmation: " in result.output
