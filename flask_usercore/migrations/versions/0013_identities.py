"""Identities at external sign-in providers (issue 29, docs/providers.md).

Revision ID: 0013_identities
Revises: 0012_passkeys
Create Date: 2026-12-06 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013_identities"
down_revision: str | Sequence[str] | None = "0012_passkeys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "usercore_identities"


def upgrade() -> None:
    """Create ``usercore_identities`` and its two unique indexes."""
    op.create_table(
        _TABLE,
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tokens", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["usercore_users.id"],
                                name=f"fk_{_TABLE}_user_id_usercore_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{_TABLE}"),
    )
    op.create_index("uq_usercore_identities_issuer_subject", _TABLE, ["issuer", "subject"],
                    unique=True)
    op.create_index("uq_usercore_identities_user_id_provider", _TABLE,
                    ["user_id", "provider"], unique=True)


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("uq_usercore_identities_user_id_provider", table_name=_TABLE)
    op.drop_index("uq_usercore_identities_issuer_subject", table_name=_TABLE)
    op.drop_table(_TABLE)
