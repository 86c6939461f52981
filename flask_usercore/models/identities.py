"""Identities at external sign-in providers linked to an account (docs/providers.md)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime


class Identity(UserOwned, Base):
    """An account at a provider (its ``issuer`` and ``subject``) linked to a user: one per
    provider and user, and one user per issuer and subject."""

    __tablename__ = "usercore_identities"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    #: The provider's name in ``USERCORE_PROVIDERS``.
    provider: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    #: The address the provider gave at the last sign-in (shown only).
    email: Mapped[str | None] = mapped_column(String(254))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The provider's tokens (JSON), encrypted; only with the provider's ``keep_tokens``.
    tokens: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_usercore_identities_issuer_subject", "issuer", "subject", unique=True),
        Index("uq_usercore_identities_user_id_provider", "user_id", "provider", unique=True),
    )
