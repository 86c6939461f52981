"""Indexes for sessions and tokens: revoking a session family, purging expired credentials.

``family_id`` finds a session's rotated refresh tokens (reuse detection ends the family);
``expires_at`` and ``refresh_expires_at`` let ``flask usercore purge-expired`` find expired
rows without reading the whole table.

Revision ID: 0003_sessions
Revises: 0002
Create Date: 2026-01-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_sessions"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {"ix_usercore_credentials_family_id": "family_id",
            "ix_usercore_credentials_expires_at": "expires_at",
            "ix_usercore_credentials_refresh_expires_at": "refresh_expires_at"}


def upgrade() -> None:
    """Create the three indexes."""
    for name, column in _INDEXES.items():
        op.create_index(name, "usercore_credentials", [column])


def downgrade() -> None:
    """Drop them."""
    for name in _INDEXES:
        op.drop_index(name, table_name="usercore_credentials")
