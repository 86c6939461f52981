"""The host's own migrations never see flask-usercore's tables.

Before, a host's ``flask db migrate`` wrote an ``op.drop_table`` for every ``usercore_*``
table (they are not in the host's metadata) and ``flask db upgrade`` deleted every account.
Here real hosts in a temporary directory run their tools for real, in subprocesses:
Flask-Migrate (``Migrate`` initialised before or after ``UserCore``) and plain Alembic with
the exported filters; their first revision creates only their own tables (a foreign key to
``usercore_users`` included), the next finds nothing to do, and the accounts are still there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select

from flask_usercore import UserCore
from flask_usercore.migrations import (
    VERSION_TABLE,
    alembic_config,
    expression_index_warnings_silenced,
    head,
    host_include_name,
    host_include_object,
    is_usercore_table,
)
from flask_usercore.models import Base, User
from tests.conftest import FAST_ARGON2, PASSWORD
from tests.host_support import empty_database, host_env, run

HOST_APP = '''
import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import UserCore
from flask_usercore.models import User

db = SQLAlchemy()
# the host hides a table of its own from autogenerate too: both filters must hold
migrate = Migrate(include_name=lambda name, type_, parents: name != "legacy_archive")
usercore = UserCore(db=db)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey(User.id, ondelete="CASCADE"), nullable=False)
    text = db.Column(db.String(500), nullable=False)
    user = db.relationship(User)


def create_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="host-secret-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=os.environ["HOST_DATABASE_URL"], **FAST_ARGON2)
    db.init_app(app)
    if os.environ["HOST_ORDER"] == "migrate-first":
        migrate.init_app(app, db)
        usercore.init_app(app)
    else:
        usercore.init_app(app)
        migrate.init_app(app, db)
    return app
'''

HOST_MODELS = '''
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_usercore.models import User


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id = mapped_column(ForeignKey(User.id, ondelete="CASCADE"), nullable=False)
    text: Mapped[str] = mapped_column(String(500))
'''


@pytest.fixture
def host_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    with empty_database(database_url, tmp_path) as url:
        yield url


def _revisions(directory: Path) -> list[Path]:
    return sorted((directory / "migrations" / "versions").glob("*.py"))


def _upgrade_body(revision: Path) -> str:
    text = revision.read_text()
    match = re.search(r"^def upgrade\(\).*?:\n(.*?)^def downgrade", text, re.M | re.S)
    assert match, text
    return match.group(1)


def _assert_only_the_hosts_note_table(revision: Path) -> None:
    """The host's first revision: its ``note`` table with the foreign key to our users,
    nothing created, altered or dropped among our tables or the host's hidden one."""
    body = _upgrade_body(revision)
    assert re.findall(r"op\.(\w+)\('(\w+)'", body) == [("create_table", "note")], body
    assert "sa.ForeignKeyConstraint(['user_id'], ['usercore_users.id'], ondelete='CASCADE')" \
        in body, body
    assert "drop" not in body and "legacy_archive" not in body, body


def _count_users(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(User.__table__)) or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("order", ["usercore-first", "migrate-first"])
def test_flask_migrate_autogenerate_leaves_usercore_tables_alone(
        tmp_path: Path, host_url: str, order: str) -> None:
    (tmp_path / "hostapp.py").write_text(
        f"FAST_ARGON2 = {FAST_ARGON2!r}\n{HOST_APP}")
    env = host_env(tmp_path, FLASK_APP="hostapp:create_app", HOST_DATABASE_URL=host_url,
                   HOST_ORDER=order)
    engine = create_engine(host_url)
    with engine.begin() as connection:  # a table the host hides with its own include_name
        Table("legacy_archive", MetaData(), Column("id", Integer, primary_key=True),
              Column("what", String(20))).create(connection)
    engine.dispose()

    assert run(tmp_path, "flask", "usercore", "db", "upgrade", env=env).stdout == \
        f"{head()} (head)\n"
    run(tmp_path, "flask", "usercore", "create-user", "--email", "ada@example.com",
        "--first-name", "Ada", "--last-name", "Lovelace", "--password", PASSWORD,
        "--verified", env=env)
    run(tmp_path, "flask", "db", "init", env=env)

    first = run(tmp_path, "flask", "db", "migrate", "-m", "notes", env=env)
    assert "Detected added table 'note'" in first.stderr, first.stderr
    detected = [line for line in first.stderr.splitlines() if "Detected" in line]
    assert detected == ["INFO  [alembic.autogenerate.compare.tables] Detected added table "
                        "'note'"], first.stderr
    [revision] = _revisions(tmp_path)
    _assert_only_the_hosts_note_table(revision)

    run(tmp_path, "flask", "db", "upgrade", env=env)
    again = run(tmp_path, "flask", "db", "migrate", "-m", "nothing", env=env)
    assert "No changes in schema detected." in again.stderr, again.stderr
    assert _revisions(tmp_path) == [revision]

    assert _count_users(host_url) == 1
    assert run(tmp_path, "flask", "usercore", "db", "current", env=env).stdout == \
        f"{head()} (head)\n"


def test_plain_alembic_with_the_exported_filters(tmp_path: Path, host_url: str) -> None:
    """A host without Flask-Migrate: ``alembic init``, then the two lines that
    docs/quickstart.md asks for in its ``env.py``."""
    engine = create_engine(host_url)
    with engine.begin() as connection:  # our tables first, as the host's foreign key needs
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    (tmp_path / "hostmodels.py").write_text(HOST_MODELS)
    run(tmp_path, "alembic", "init", "migrations")
    ini = tmp_path / "alembic.ini"
    ini.write_text(ini.read_text().replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        f"sqlalchemy.url = {host_url.replace('%', '%%')}"))
    env_py = tmp_path / "migrations" / "env.py"
    source = env_py.read_text()
    assert source.count("target_metadata = None\n") == 1
    assert source.count("connection=connection, target_metadata=target_metadata\n") == 1
    env_py.write_text(source.replace(
        "target_metadata = None\n",
        "from flask_usercore.migrations import host_include_name, host_include_object\n"
        "from hostmodels import Base\n\n"
        "target_metadata = Base.metadata\n").replace(
        "connection=connection, target_metadata=target_metadata\n",
        "connection=connection, target_metadata=target_metadata,\n"
        "            include_name=host_include_name, include_object=host_include_object,\n"))

    run(tmp_path, "alembic", "revision", "--autogenerate", "-m", "notes")
    [revision] = _revisions(tmp_path)
    _assert_only_the_hosts_note_table(revision)
    run(tmp_path, "alembic", "upgrade", "head")
    run(tmp_path, "alembic", "revision", "--autogenerate", "-m", "nothing")
    later = next(path for path in _revisions(tmp_path) if path != revision)
    assert "op." not in _upgrade_body(later) and "pass" in _upgrade_body(later)


def _diffs(url: str, metadata: MetaData, **filters: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection, expression_index_warnings_silenced():
            context = MigrationContext.configure(connection, opts=filters)
            found: list[Any] = compare_metadata(context, metadata)
            return found
    finally:
        engine.dispose()


def test_without_the_filters_autogenerate_would_drop_every_usercore_table(
        host_url: str) -> None:
    """Why the filters exist: the host's metadata does not hold our tables."""
    engine = create_engine(host_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    host_metadata = MetaData()
    removed = {diff[1].name for diff in _diffs(host_url, host_metadata)
               if diff[0] == "remove_table"}
    assert removed == set(Base.metadata.tables) | {VERSION_TABLE}
    assert _diffs(host_url, host_metadata, include_name=host_include_name,
                  include_object=host_include_object) == []


def test_the_filters_pass_everything_but_usercore_tables() -> None:
    assert is_usercore_table("usercore_users") and is_usercore_table(VERSION_TABLE)
    assert is_usercore_table("usercore_from_a_later_version")
    assert not is_usercore_table("users") and not is_usercore_table(None)
    assert not host_include_name("usercore_users", "table", {})
    assert host_include_name("note", "table", {})
    assert host_include_name("usercore_users_id", "column", {})  # a host column's name
    assert host_include_name(None, "schema", {})
    assert not host_include_object(User.__table__, "usercore_users", "table", False, None)
    assert host_include_object(None, "fk_note_user", "foreign_key_constraint", False, None)


def _app(tmp_path: Path) -> tuple[Flask, SQLAlchemy]:
    app = Flask("usercore_host_migrate_test")
    app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'hook.db'}")
    return app, SQLAlchemy(app)


def _filters(app: Flask) -> tuple[Any, Any]:
    arguments = app.extensions["migrate"].configure_args
    return arguments["include_name"], arguments["include_object"]


def test_the_hook_keeps_the_hosts_own_filters_and_survives_a_second_migrate(
        tmp_path: Path) -> None:
    app, db = _app(tmp_path)
    seen: list[str] = []

    def host_filter(name: str | None, type_: str, parents: Any) -> bool:
        seen.append(str(name))
        return name != "legacy_archive"

    Migrate(app, db, include_name=host_filter)
    UserCore(app, db=db)
    include_name, include_object = _filters(app)
    assert not include_name("usercore_users", "table", {})
    assert not include_name("legacy_archive", "table", {})
    assert include_name("note", "table", {})
    assert seen == ["legacy_archive", "note"]  # ours decides first for our tables
    assert not include_object(None, "usercore_users", "table", False, None)

    Migrate(app, db)  # initialised again: the fresh configuration is filtered as it comes
    include_name, _ = _filters(app)
    assert not include_name("usercore_users", "table", {})
    assert include_name("legacy_archive", "table", {})  # that host filter went with the old
    with app.app_context():  # once only: not wrapped twice
        assert _filters(app)[0] is include_name
        db.engine.dispose()


def test_migrate_initialised_after_usercore_gets_the_filters_as_it_registers(
        tmp_path: Path) -> None:
    app, db = _app(tmp_path)
    UserCore(app, db=db)
    Migrate(app, db)
    include_name, _ = _filters(app)
    assert not include_name("usercore_credentials", "table", {})
    other, other_db = _app(tmp_path)  # another app's Flask-Migrate is none of our business
    Migrate(other, other_db)
    assert "include_name" not in other.extensions["migrate"].configure_args
    with app.app_context():
        db.engine.dispose()
    with other.app_context():
        other_db.engine.dispose()
