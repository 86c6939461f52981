"""OAuth2: clients, authorization codes and consents.

The tokens are rows of ``usercore_credentials`` (kinds ``oauth2`` and
``oauth2_spent_refresh``): no new column there.

Revision ID: 0007_oauth2
Revises: 0005_credentials
Create Date: 2026-01-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007_oauth2"
down_revision: str | Sequence[str] | None = "0005_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["usercore_users.id"], name=f"fk_{table}_user_id_usercore_users",
        ondelete="CASCADE")


def _client_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["client_id"], ["usercore_oauth2_clients.client_id"],
        name=f"fk_{table}_client_id_usercore_oauth2_clients", ondelete="CASCADE")


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "usercore_oauth2_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("grant_types", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_usercore_oauth2_clients"),
    )
    op.create_table(
        "usercore_oauth2_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=True),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_oauth2_codes"),
        _client_fk("usercore_oauth2_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_oauth2_codes"),
        sa.UniqueConstraint("code_hash", name="uq_usercore_oauth2_codes_code_hash"),
    )
    op.create_index("ix_usercore_oauth2_codes_user_id", "usercore_oauth2_codes", ["user_id"])
    op.create_index("ix_usercore_oauth2_codes_client_id", "usercore_oauth2_codes",
                    ["client_id"])
    op.create_table(
        "usercore_oauth2_consents",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("usercore_oauth2_consents"),
        _client_fk("usercore_oauth2_consents"),
        sa.PrimaryKeyConstraint("id", name="pk_usercore_oauth2_consents"),
    )
    op.create_index("uq_usercore_oauth2_consents_user_id_client_id",
                    "usercore_oauth2_consents", ["user_id", "client_id"], unique=True)
    op.create_index("ix_usercore_oauth2_consents_client_id", "usercore_oauth2_consents",
                    ["client_id"])


def downgrade() -> None:
    """Drop them (OAuth2 credentials rows stay until they expire or are revoked)."""
    op.drop_index("ix_usercore_oauth2_consents_client_id",
                  table_name="usercore_oauth2_consents")
    op.drop_index("uq_usercore_oauth2_consents_user_id_client_id",
                  table_name="usercore_oauth2_consents")
    op.drop_table("usercore_oauth2_consents")
    op.drop_index("ix_usercore_oauth2_codes_client_id", table_name="usercore_oauth2_codes")
    op.drop_index("ix_usercore_oauth2_codes_user_id", table_name="usercore_oauth2_codes")
    op.drop_table("usercore_oauth2_codes")
    op.drop_table("usercore_oauth2_clients")
