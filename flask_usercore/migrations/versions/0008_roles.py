"""Roles and permissions, disabled accounts and the admin audit.

``usercore_roles`` (a name and its permissions), ``usercore_user_roles`` (who holds which),
``usercore_admin_audit`` (who did what to whom through the admin API or the CLI) and the
column ``usercore_users.disabled_at``.

Revision ID: 0008_roles
Revises: 0007_oauth2
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from flask_usercore.models.sqlite import require_foreign_keys_off

# revision identifiers, used by Alembic.
revision: str = "0008_roles"
down_revision: str | Sequence[str] | None = "0007_oauth2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the three tables and add the column."""
    op.add_column("usercore_users",
                  sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "usercore_roles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_roles"),
        sa.UniqueConstraint("name", name="uq_usercore_roles_name"),
    )
    op.create_table(
        "usercore_user_roles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["usercore_users.id"],
                                name="fk_usercore_user_roles_user_id_usercore_users",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["usercore_roles.id"],
                                name="fk_usercore_user_roles_role_id_usercore_roles",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id", name="pk_usercore_user_roles"),
    )
    op.create_index("ix_usercore_user_roles_role_id", "usercore_user_roles", ["role_id"])
    op.create_table(
        "usercore_admin_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_user_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_admin_audit"),
    )
    op.create_index("ix_usercore_admin_audit_created_at", "usercore_admin_audit",
                    ["created_at"])
    op.create_index("ix_usercore_admin_audit_target_user_id", "usercore_admin_audit",
                    ["target_user_id"])


def downgrade() -> None:
    """Drop them (every role and audit record is lost)."""
    op.drop_table("usercore_admin_audit")
    op.drop_table("usercore_user_roles")
    op.drop_table("usercore_roles")
    # SQLite rebuilds the table (copy, drop, rename): foreign keys must be off, and the
    # expression index on lower(nickname), which a rebuild loses, is made again
    require_foreign_keys_off(op.get_bind())
    op.drop_index("uq_usercore_users_nickname_lower", table_name="usercore_users")
    with op.batch_alter_table("usercore_users") as batch:
        batch.drop_column("disabled_at")
    op.create_index("uq_usercore_users_nickname_lower", "usercore_users",
                    [sa.text("lower(nickname)")], unique=True)
