"""Rows that belong to a user, one in every table with a ``user_id`` column (tests only).

Made from the models' own tables, so a table added later gets a row without anyone editing
this file; a column it cannot fill makes the test fail, naming it, instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from flask_usercore.models import Base, utcnow


def user_tables() -> list[Table]:
    """Every table of the models with a ``user_id`` column, parents first."""
    return [table for table in Base.metadata.sorted_tables if "user_id" in table.c]


def _value(table: Table, name: str, python_type: type) -> Any:
    if python_type is uuid.UUID:
        return uuid.uuid4()
    if python_type is str:
        return uuid.uuid4().hex[:8]
    if python_type is int:
        return 0
    if python_type is dt.datetime:
        return utcnow()
    if python_type is bytes:
        return uuid.uuid4().bytes
    raise AssertionError(f"tests/user_rows.py cannot fill {table.name}.{name} "
                         f"({python_type.__name__}): teach it that type")


def row_for(table: Table, user_id: uuid.UUID | None,
            session: Session | None = None) -> dict[str, Any]:
    """The values of a minimal valid row of ``table`` that belongs to ``user_id``.

    With ``session``, a required column that references another table than the users (an
    OAuth2 code's client) gets a minimal parent row inserted first.
    """
    row: dict[str, Any] = {} if user_id is None else {"user_id": user_id}
    for column in table.c:
        if column.name in row or column.nullable or column.default is not None:
            continue
        parents = [fk.column for fk in column.foreign_keys
                   if fk.column.table.name != "usercore_users"]
        if parents and session is not None:
            parent = parents[0]
            parent_row = row_for(parent.table, user_id if "user_id" in parent.table.c else None,
                                 session)
            if parent.name not in parent_row:  # a key with a default (a role's id)
                parent_row[parent.name] = _value(parent.table, parent.name,
                                                 parent.type.python_type)
            session.execute(insert(parent.table).values(parent_row))
            row[column.name] = parent_row[parent.name]
            continue
        sqltype = column.type
        if isinstance(sqltype, TypeDecorator):
            sqltype = sqltype.impl_instance
        row[column.name] = _value(table, column.name, sqltype.python_type)
    return row
