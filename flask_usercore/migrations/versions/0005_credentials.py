"""An index for finding a live code by its hash: ``flask usercore check-support-code``.

A support desk looks a support code up by its keyed hash, across all users; without the
index that would read the whole table of one-time codes.

Revision ID: 0005_credentials
Revises: 0004_resources
Create Date: 2026-01-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_credentials"
down_revision: str | Sequence[str] | None = "0004_resources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_usercore_one_time_codes_purpose_code_hash"


def upgrade() -> None:
    """Create the index on ``(purpose, code_hash)``."""
    op.create_index(_NAME, "usercore_one_time_codes", ["purpose", "code_hash"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index(_NAME, table_name="usercore_one_time_codes")
