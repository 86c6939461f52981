"""Alembic environment of flask-usercore's own migrations.

Run through :mod:`flask_usercore.migrations` (or ``flask usercore db ...``), which passes the
connection in ``config.attributes["connection"]``; there is no ``alembic.ini`` and no offline
(``--sql``) mode.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from flask_usercore.migrations import (
    VERSION_TABLE,
    expression_index_warnings_silenced,
    include_name,
)
from flask_usercore.models import Base, UTCDateTime

#: What autogenerate compares the database with.
target_metadata = Base.metadata


def render_item(
    type_: str, obj: Any, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy types: revisions never import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    """Run the migrations on the connection the caller handed over."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run flask-usercore's migrations through flask_usercore.migrations "
                           "(or `flask usercore db`), which supplies the connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_item=render_item,
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction(), expression_index_warnings_silenced():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("flask-usercore's migrations have no offline (--sql) mode")
run_migrations_online()
