"""Recent authentication: when and how a session's user last proved who they are.

Two nullable columns of ``usercore_credentials``; the sessions of before have none, so they
are not "fresh" (``USERCORE_REAUTH_MAX_AGE``) until their user re-authenticates.

Revision ID: 0010_reauth
Revises: 0008_roles
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010_reauth"
down_revision: str | Sequence[str] | None = "0008_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``authenticated_at`` and ``auth_methods``."""
    op.add_column("usercore_credentials", sa.Column("authenticated_at", sa.DateTime(timezone=True),
                                                    nullable=True))
    op.add_column("usercore_credentials", sa.Column("auth_methods", sa.String(length=64),
                                                    nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("usercore_credentials") as batch:
        batch.drop_column("auth_methods")
        batch.drop_column("authenticated_at")
