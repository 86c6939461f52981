"""The user's resources: SSH keys, settings, poll settings, feedback, upload tokens, files.

Every table belongs to one user (``ON DELETE CASCADE``): deleting the account removes its
rows. The avatar images themselves live in the host's ``AvatarStorage``.

Revision ID: 0004_resources
Revises: 0003_sessions
Create Date: 2026-01-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_resources"
down_revision: str | Sequence[str] | None = "0003_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["usercore_users.id"], name=f"fk_{table}_user_id_usercore_users",
        ondelete="CASCADE")


def _owned(table: str) -> list[Any]:
    """``id``, ``created_at``, the user's foreign key and the primary key (``UserOwned``)."""
    return [sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            _user_fk(table), sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def upgrade() -> None:
    """Create the six tables and their indexes."""
    op.create_table(
        "usercore_ssh_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("comment", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=95), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        *_owned("usercore_ssh_keys"),
    )
    op.create_index("uq_usercore_ssh_keys_user_id_fingerprint", "usercore_ssh_keys",
                    ["user_id", "fingerprint"], unique=True)

    op.create_table(
        "usercore_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_settings"),
        sa.PrimaryKeyConstraint("user_id", name="pk_usercore_settings"),
    )

    op.create_table(
        "usercore_poll_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ignored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dont_show_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_poll_settings"),
        sa.PrimaryKeyConstraint("user_id", name="pk_usercore_poll_settings"),
    )

    op.create_table(
        "usercore_feedback",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=1000), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("vote", sa.Float(), nullable=True),
        *_owned("usercore_feedback"),
    )
    op.create_index("ix_usercore_feedback_user_id", "usercore_feedback", ["user_id"])

    op.create_table(
        "usercore_upload_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        *_owned("usercore_upload_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_usercore_upload_tokens_token_hash"),
    )
    op.create_index("ix_usercore_upload_tokens_user_id", "usercore_upload_tokens", ["user_id"])

    op.create_table(
        "usercore_files",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("public_url", sa.String(length=2048), nullable=False),
        *_owned("usercore_files"),
    )
    op.create_index("ix_usercore_files_user_id", "usercore_files", ["user_id"])


def downgrade() -> None:
    """Drop the six tables (stored avatar images stay in the storage)."""
    op.drop_index("ix_usercore_files_user_id", table_name="usercore_files")
    op.drop_table("usercore_files")
    op.drop_index("ix_usercore_upload_tokens_user_id", table_name="usercore_upload_tokens")
    op.drop_table("usercore_upload_tokens")
    op.drop_index("ix_usercore_feedback_user_id", table_name="usercore_feedback")
    op.drop_table("usercore_feedback")
    op.drop_table("usercore_poll_settings")
    op.drop_table("usercore_settings")
    op.drop_index("uq_usercore_ssh_keys_user_id_fingerprint", table_name="usercore_ssh_keys")
    op.drop_table("usercore_ssh_keys")
