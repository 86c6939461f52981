"""OAuth2: an authorization code remembers when its user signed in (``auth_time``).

OpenID Connect's ``auth_time`` (Core 2, 3.1.2.1: ``max_age`` and ``prompt=login``) is the
time of the user's login, not the code's issue time. Codes issued before this revision have
none and keep the issue time.

Revision ID: 0011_oauth2_auth_time
Revises: 0010_reauth
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011_oauth2_auth_time"
down_revision: str | Sequence[str] | None = "0010_reauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable ``auth_time`` column to the codes."""
    with op.batch_alter_table("usercore_oauth2_codes") as batch:
        batch.add_column(sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("usercore_oauth2_codes") as batch:
        batch.drop_column("auth_time")
