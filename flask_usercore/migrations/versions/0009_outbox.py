"""The transactional outbox of mails and SMS (``usercore_outbox``).

Revision ID: 0009_outbox
Revises: 0008_roles
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009_outbox"
down_revision: str | Sequence[str] | None = "0008_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the outbox table."""
    op.create_table(
        "usercore_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("recipient_ref", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_outbox"),
    )
    op.create_index("ix_usercore_outbox_due_at", "usercore_outbox", ["due_at"])


def downgrade() -> None:
    """Drop it (messages not yet delivered are lost)."""
    op.drop_index("ix_usercore_outbox_due_at", table_name="usercore_outbox")
    op.drop_table("usercore_outbox")
