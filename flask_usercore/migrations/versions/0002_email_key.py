"""E-mail identity by key: ``email_key`` with a unique index replaces ``lower(email)``.

SQLite's ``lower()`` folds ASCII only (``Ädam@`` could register but never log in, ``Émile@``
and ``émile@`` were two accounts). The key is computed in Python by
:func:`flask_usercore.security.identity.email_key`, the function the services use, for the
rows already there; ``email`` keeps the address as typed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-02 00:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from flask_usercore.models.sqlite import require_foreign_keys_off
from flask_usercore.security.identity import email_key

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table("usercore_users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
                  sa.column("email_key", sa.String()))


def _keys() -> list[dict[str, Any]]:
    """Every row's key; refuses (naming them) addresses that become one."""
    rows = op.get_bind().execute(sa.select(_USERS.c.id, _USERS.c.email)).all()
    owners: defaultdict[str, list[str]] = defaultdict(list)
    for _, email in rows:
        owners[email_key(email)].append(email)
    clashes = [emails for emails in owners.values() if len(emails) > 1]
    if clashes:
        raise RuntimeError(
            "these accounts' e-mail addresses are one address (they differ only in case or "
            "Unicode form); merge or change them, then upgrade again: "
            + "; ".join(" = ".join(emails) for emails in clashes))
    return [{"row_id": row_id, "key": email_key(email)} for row_id, email in rows]


def _rebuild_users(*, add_key: bool) -> None:
    """Alter ``usercore_users`` (SQLite rebuilds it: copy, drop, rename).

    A rebuild keeps only the indexes SQLite can reflect, so the expression index on
    ``lower(nickname)`` is dropped before and made again after, on every database alike.
    """
    op.drop_index("uq_usercore_users_nickname_lower", table_name="usercore_users")
    with op.batch_alter_table("usercore_users") as batch:
        if add_key:
            batch.alter_column("email_key", existing_type=sa.String(length=762),
                               nullable=False)
        else:
            batch.drop_column("email_key")
    op.create_index("uq_usercore_users_nickname_lower", "usercore_users",
                    [sa.text("lower(nickname)")], unique=True)


def upgrade() -> None:
    """Add ``email_key``, fill it, make it NOT NULL and unique; drop ``lower(email)``.

    The checks come first, so that a refused upgrade changed nothing (SQLite runs DDL
    outside the transaction until the first write).
    """
    require_foreign_keys_off(op.get_bind())
    keys = _keys()
    op.add_column("usercore_users", sa.Column("email_key", sa.String(length=762), nullable=True))
    if keys:
        op.get_bind().execute(
            _USERS.update().where(_USERS.c.id == sa.bindparam("row_id"))
            .values(email_key=sa.bindparam("key")), keys)
    op.drop_index("uq_usercore_users_email_lower", table_name="usercore_users")
    _rebuild_users(add_key=True)
    op.create_index("uq_usercore_users_email_key", "usercore_users", ["email_key"], unique=True)


def downgrade() -> None:
    """Back to the unique index on ``lower(email)``; the addresses stay as typed."""
    require_foreign_keys_off(op.get_bind())
    op.drop_index("uq_usercore_users_email_key", table_name="usercore_users")
    _rebuild_users(add_key=False)
    op.create_index("uq_usercore_users_email_lower", "usercore_users",
                    [sa.text("lower(email)")], unique=True)
