"""Every credential a user holds, one row each: sessions, API tokens, retrieval keys, OAuth2.

Each row keeps only hashes. Listing, revoking one, revoking all others and revoking on
password change are one query each, whatever the kind.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UserOwned, UTCDateTime
from .users import User


class CredentialKind(enum.StrEnum):
    SESSION = "session"
    API_TOKEN = "api_token"  # noqa: S105 (a kind name)
    RETRIEVAL_KEY = "retrieval_key"
    OAUTH2 = "oauth2"
    #: A session's rotated refresh token (``token_hash``), kept to detect its reuse.
    SPENT_REFRESH = "spent_refresh"
    #: An OAuth2 token's rotated refresh token (``token_hash``), kept to detect its reuse.
    OAUTH2_SPENT_REFRESH = "oauth2_spent_refresh"


class Credential(UserOwned, Base):
    """A bearer credential. ``id`` is the public ``tokenId`` of sessions and API tokens."""

    __tablename__ = "usercore_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    description: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    #: A session's last proof of who its user is: when (the login, or a re-authentication
    #: with the password), and how (RFC 8176 ``amr`` values separated by spaces: ``pwd``,
    #: ``otp``, ``mfa``). None on other kinds (never fresh: ``services/reauth.py``).
    authenticated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    auth_methods: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (Index("ix_usercore_credentials_user_kind", "user_id", "kind"),
                      Index("ix_usercore_credentials_family_id", "family_id"),
                      Index("ix_usercore_credentials_expires_at", "expires_at"),
                      Index("ix_usercore_credentials_refresh_expires_at", "refresh_expires_at"))
