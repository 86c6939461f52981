"""Passkeys: ``usercore_passkeys`` (WebAuthn credentials) and
``usercore_passkey_challenges`` (the single-use challenges of their ceremonies).

Revision ID: 0012_passkeys
Revises: 0011_oauth2_auth_time
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012_passkeys"
down_revision: str | Sequence[str] | None = "0011_oauth2_auth_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "usercore_passkeys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(length=255), nullable=False),
        sa.Column("user_handle", sa.LargeBinary(length=64), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["usercore_users.id"],
                                name="fk_usercore_passkeys_user_id_usercore_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_passkeys"),
    )
    op.create_index("uq_usercore_passkeys_credential_id", "usercore_passkeys",
                    ["credential_id"], unique=True)
    op.create_index("ix_usercore_passkeys_user_id", "usercore_passkeys", ["user_id"])
    op.create_table(
        "usercore_passkey_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("user_handle", sa.LargeBinary(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["usercore_users.id"],
                                name="fk_usercore_passkey_challenges_user_id_usercore_users",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["usercore_credentials.id"],
            name="fk_usercore_passkey_challenges_session_id_usercore_credentials",
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_passkey_challenges"),
    )
    op.create_index("uq_usercore_passkey_challenges_challenge_hash",
                    "usercore_passkey_challenges", ["challenge_hash"], unique=True)
    op.create_index("ix_usercore_passkey_challenges_user_id", "usercore_passkey_challenges",
                    ["user_id"])
    op.create_index("ix_usercore_passkey_challenges_session_id",
                    "usercore_passkey_challenges", ["session_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("usercore_passkey_challenges")
    op.drop_table("usercore_passkeys")
