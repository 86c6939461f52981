"""flask-usercore's own Alembic migrations, run programmatically (no ``alembic.ini`` needed).

The revisions live in this package (``versions/``) and record their state in the table
``usercore_alembic_version``, apart from the host's own Alembic history (``alembic_version``).
Every table of the library is named ``usercore_...``. The host's autogenerate must not see
them, or it writes an ``op.drop_table`` for each (they are not in the host's metadata):
``init_app`` hides them from Flask-Migrate by itself (:func:`hide_from_flask_migrate`); a host
on plain Alembic passes :func:`host_include_name` and :func:`host_include_object` to
``context.configure`` in its ``env.py``. Every function works on the database of the current
Flask app: the
engine (default bind) of the ``db`` passed to :class:`flask_usercore.UserCore`. Call them in
an app context::

    with app.app_context():
        from flask_usercore.migrations import upgrade
        upgrade()            # idempotent: a no-op when already at head

or from the shell: ``flask usercore db upgrade`` / ``downgrade REVISION`` / ``current``.

A schema that ``Base.metadata.create_all`` built before the migrations were used is adopted:
when every usercore table exists, none is under version control yet and the tables match the
models exactly, :func:`upgrade` stamps it at head instead of failing on "table exists".

Writing a new revision (library developers): change the models, then, on a database at head::

    from alembic import command
    from flask_usercore.migrations import alembic_config
    with engine.begin() as connection:
        command.revision(alembic_config(connection), "what changed", autogenerate=True)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import MetaData, String, Table, column, inspect, select, table, text
from sqlalchemy.engine import Connection, Engine

from ..models import Base
from ..models.sqlite import foreign_keys_off

if TYPE_CHECKING:  # Alembic (with Mako) is imported only when a migration runs
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

__all__ = [
    "MIGRATION_LOCK",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "SchemaConflict",
    "alembic_config",
    "current",
    "downgrade",
    "expression_index_warnings_silenced",
    "head",
    "hide_from_flask_migrate",
    "host_include_name",
    "host_include_object",
    "include_name",
    "is_usercore_table",
    "migration_context",
    "schema_differences",
    "shipped_heads",
    "upgrade",
]

#: The prefix of every table of flask-usercore, its version table included: a name space the
#: host's own migrations leave alone.
TABLE_PREFIX = "usercore_"
#: The library's own Alembic version table (the host's Alembic keeps ``alembic_version``).
VERSION_TABLE = f"{TABLE_PREFIX}alembic_version"
SCRIPT_LOCATION = Path(__file__).resolve().parent
#: ``revision = "..."`` and ``down_revision = ...`` (annotated or not) in a revision script.
_REVISION = re.compile(r"^revision\b[^=\n]*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)


class SchemaConflict(RuntimeError):
    """The database holds usercore tables that the migrations cannot account for."""


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name`` hook: autogenerate looks at flask-usercore's tables only.

    The host's tables in the same database are neither compared nor dropped.
    """
    if type_ == "table":
        return name in Base.metadata.tables
    return True


def is_usercore_table(name: str | None) -> bool:
    """Whether the table ``name`` belongs to flask-usercore (its name starts ``usercore_``).

    By prefix rather than by the models of this version: a table that a newer or an older
    version of the library made is the library's too, never the host's to drop.
    """
    return name is not None and name.startswith(TABLE_PREFIX)


def host_include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name`` hook for the *host's* ``env.py``: every table but ours.

    The host's autogenerate then neither reflects nor drops flask-usercore's tables (nor its
    version table); :func:`hide_from_flask_migrate` installs it for Flask-Migrate. With plain
    Alembic, in the host's ``env.py``::

        from flask_usercore.migrations import host_include_name, host_include_object

        context.configure(connection=connection, target_metadata=target_metadata,
                          include_name=host_include_name,
                          include_object=host_include_object)

    A host table's foreign key to ``usercore_users`` is compared as usual.
    """
    return type_ != "table" or not is_usercore_table(name)


def host_include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                        compare_to: Any) -> bool:
    """Alembic ``include_object`` hook for the host's ``env.py``: every table but ours.

    The counterpart of :func:`host_include_name` on the metadata side: should the host's
    metadata know a ``usercore_*`` table (``db.reflect()``, a stub declared for a foreign
    key), autogenerate does not create or alter it either.
    """
    return type_ != "table" or not is_usercore_table(name)


class _Both:
    """An Alembic filter that includes what ours and the host's own filter both include."""

    def __init__(self, ours: Callable[..., bool], theirs: Callable[..., bool] | None) -> None:
        self.ours, self.theirs = ours, theirs

    def __call__(self, *args: Any) -> bool:
        return self.ours(*args) and (self.theirs is None or bool(self.theirs(*args)))


def _filter_flask_migrate(configuration: Any) -> None:
    """Add our filters to the ``context.configure`` arguments of a Flask-Migrate
    configuration (``app.extensions["migrate"]``, whose ``configure_args`` every ``env.py``
    of Flask-Migrate passes on), beside any the host gave ``Migrate(...)``; once."""
    arguments = getattr(configuration, "configure_args", None)
    if not isinstance(arguments, dict) or isinstance(arguments.get("include_name"), _Both):
        return
    arguments["include_name"] = _Both(host_include_name, arguments.get("include_name"))
    arguments["include_object"] = _Both(host_include_object, arguments.get("include_object"))


class _Extensions(dict[str, Any]):
    """A Flask app's ``extensions`` that filters Flask-Migrate's configuration as it is
    registered (``Migrate.init_app`` sets ``extensions["migrate"]``), whenever that is.

    Reading it is a plain dict's, so requests pay nothing (a receiver of
    ``appcontext_pushed`` would cost every request a signal dispatch)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if key == "migrate":
            _filter_flask_migrate(value)


def hide_from_flask_migrate(app: Flask) -> None:
    """Keep flask-usercore's tables out of the autogenerate of ``app``'s Flask-Migrate.

    Called by ``init_app``. Whether ``Migrate(app, db)`` ran before it or runs after it
    (again, maybe): the filters are added now, or as Flask-Migrate registers itself. Where
    Flask-Migrate is not installed nothing is hooked.
    """
    _filter_flask_migrate(app.extensions.get("migrate"))
    if (importlib.util.find_spec("flask_migrate") is not None
            and not isinstance(app.extensions, _Extensions)):
        app.extensions = _Extensions(app.extensions)


def alembic_config(connection: Connection) -> Config:
    """An Alembic :class:`Config` for this package's scripts, running on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def migration_context(connection: Connection) -> MigrationContext:
    """A :class:`MigrationContext` on ``connection`` that knows our version table."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": include_name})


def _engine() -> Engine:
    engine: Engine = current_app.extensions["usercore"].core.db.engine
    return engine


def head() -> str:
    """The newest revision shipped with this version of flask-usercore."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(SCRIPT_LOCATION))
    revision = script.get_current_head()
    if revision is None:
        raise RuntimeError("flask-usercore ships no migration")
    return revision


def current() -> str | None:
    """The revision the current app's database is at, or None when it has none."""
    with _engine().connect() as connection:
        return migration_context(connection).get_current_revision()


def upgrade(revision: str = "head") -> None:
    """Migrate the current app's database up to ``revision`` (default: the newest).

    Idempotent: nothing happens when the database is already there. Runs in one transaction,
    so on PostgreSQL a failing step leaves the database as it was. Never races: two processes
    that start on an empty database at once (the workers of ``gunicorn -w 2`` calling it from
    the app factory) migrate one after the other, the second finding nothing left to do,
    under a PostgreSQL advisory lock (:data:`MIGRATION_LOCK`) or, on a SQLite file, an
    exclusive ``flock`` of ``<database>.usercore-migrate.lock`` beside it. Raises
    :class:`SchemaConflict` for usercore tables that no migration made and that differ from
    the models.

    A database already at head is recognised with one query, without importing Alembic: an
    app that calls this at start-up (every gunicorn worker does) does not pay Alembic's and
    Mako's memory for nothing.
    """
    if revision == "head" and _at_head():
        return
    from alembic import command

    engine = _engine()
    with _sqlite_file_lock(engine), engine.connect() as connection, \
            foreign_keys_off(connection), connection.begin():
        if connection.dialect.name == "postgresql":  # held until this transaction ends
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        _adopt_create_all_schema(connection)
        command.upgrade(alembic_config(connection), revision)


#: The PostgreSQL advisory lock key that :func:`upgrade` holds while it migrates (the first
#: 8 bytes of ``sha256(b"flask-usercore migrations")``, as a signed 64-bit number).
MIGRATION_LOCK = int.from_bytes(
    hashlib.sha256(b"flask-usercore migrations").digest()[:8], "big", signed=True)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive ``flock`` on a file beside a SQLite database file, held while migrating
    (a separate file: closing a descriptor of the database file itself would drop the
    POSIX locks that SQLite's own connections in this process hold on it)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock (run the upgrade once per deployment)
        yield
        return
    with open(f"{database}.usercore-migrate.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


@functools.cache
def shipped_heads() -> frozenset[str] | None:
    """The head revisions of ``versions/``, read from the scripts' text without Alembic.

    None when a script does not state its revision in the usual form, so that the caller
    falls back to Alembic rather than guessing.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (SCRIPT_LOCATION / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        down = _DOWN_REVISION.search(text)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    return frozenset(revisions - parents) or None


def _at_head() -> bool:
    """Whether the version table holds exactly the shipped heads (one query)."""
    heads = shipped_heads()
    if heads is None:
        return False
    with _engine().connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return False
        stored = connection.scalars(
            select(column("version_num", String)).select_from(table(VERSION_TABLE))).all()
    return set(stored) == heads


def downgrade(revision: str) -> None:
    """Migrate the current app's database down to ``revision``.

    ``base`` drops every flask-usercore table, the version table included.
    """
    from alembic import command

    with _engine().connect() as connection, foreign_keys_off(connection), connection.begin():
        command.downgrade(alembic_config(connection), revision)
        if migration_context(connection).get_current_revision() is None:
            Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)


@contextmanager
def expression_index_warnings_silenced() -> Iterator[None]:
    """Silence the warnings about expression indexes that cannot be reflected.

    SQLite's reflection skips ``lower(email)``-style indexes (SQLAlchemy warns), so Alembic
    cannot compare them there (and warns again); PostgreSQL reflects and compares them.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*expression-based index")
        yield


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate finds between the database and ``Base.metadata`` (empty: equal)."""
    from alembic.autogenerate import compare_metadata

    with expression_index_warnings_silenced():
        diffs: list[Any] = compare_metadata(migration_context(connection), Base.metadata)
    return diffs


def _adopt_create_all_schema(connection: Connection) -> None:
    """Stamp head on a schema that ``create_all`` made from these very models.

    Only when no version table exists yet; usercore tables that differ from the models (or
    only some of them) raise :class:`SchemaConflict` rather than being guessed at.
    """
    tables = set(inspect(connection).get_table_names())
    found = set(Base.metadata.tables) & tables
    if VERSION_TABLE in tables or not found:
        return
    if found != set(Base.metadata.tables) or schema_differences(connection):
        raise SchemaConflict(
            f"the database holds flask-usercore tables ({', '.join(sorted(found))}) that no "
            f"usercore migration created and that differ from the models: bring them in line "
            f"by hand, or drop them, then run the upgrade again")
    from alembic import command

    command.stamp(alembic_config(connection), "head")
