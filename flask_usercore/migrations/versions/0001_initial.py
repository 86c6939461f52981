"""Initial schema: users, credentials, one-time codes, MFA secrets and recovery codes.

Revision ID: 0001
Revises:
Create Date: 2026-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["usercore_users.id"], name=f"fk_{table}_user_id_usercore_users",
        ondelete="CASCADE")


def upgrade() -> None:
    """Create the five tables and their indexes (e-mail and nickname unique ignoring case)."""
    op.create_table(
        "usercore_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=120), nullable=False),
        sa.Column("last_name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=8), nullable=True),
        sa.Column("nickname", sa.String(length=60), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("company", sa.String(length=120), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("web_url", sa.String(length=2048), nullable=True),
        sa.Column("picture_url", sa.String(length=2048), nullable=True),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=True),
        sa.Column("avatar_ref", sa.Uuid(), nullable=True),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_users"),
    )
    op.create_index("uq_usercore_users_email_lower", "usercore_users",
                    [sa.text("lower(email)")], unique=True)
    op.create_index("uq_usercore_users_nickname_lower", "usercore_users",
                    [sa.text("lower(nickname)")], unique=True)

    op.create_table(
        "usercore_credentials",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=True),
        sa.Column("family_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("roles", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_credentials"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_credentials"),
        sa.UniqueConstraint("refresh_hash", name="uq_usercore_credentials_refresh_hash"),
        sa.UniqueConstraint("token_hash", name="uq_usercore_credentials_token_hash"),
    )
    op.create_index("ix_usercore_credentials_user_kind", "usercore_credentials",
                    ["user_id", "kind"], unique=False)

    op.create_table(
        "usercore_mfa_secrets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=255), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_mfa_secrets"),
        sa.PrimaryKeyConstraint("user_id", name="pk_usercore_mfa_secrets"),
    )

    op.create_table(
        "usercore_one_time_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_one_time_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_one_time_codes"),
    )
    op.create_index("ix_usercore_one_time_codes_user_purpose", "usercore_one_time_codes",
                    ["user_id", "purpose"], unique=False)

    op.create_table(
        "usercore_recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_recovery_codes"),
    )
    op.create_index("ix_usercore_recovery_codes_user_id", "usercore_recovery_codes",
                    ["user_id"], unique=False)


def downgrade() -> None:
    """Drop every flask-usercore table (and with them all accounts)."""
    op.drop_index("ix_usercore_recovery_codes_user_id", table_name="usercore_recovery_codes")
    op.drop_table("usercore_recovery_codes")
    op.drop_index("ix_usercore_one_time_codes_user_purpose", table_name="usercore_one_time_codes")
    op.drop_table("usercore_one_time_codes")
    op.drop_table("usercore_mfa_secrets")
    op.drop_index("ix_usercore_credentials_user_kind", table_name="usercore_credentials")
    op.drop_table("usercore_credentials")
    op.drop_index("uq_usercore_users_nickname_lower", table_name="usercore_users")
    op.drop_index("uq_usercore_users_email_lower", table_name="usercore_users")
    op.drop_table("usercore_users")
