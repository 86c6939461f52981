"""The ``usercore_users`` table: mittwald's ``User`` plus the APITree Profile columns."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .mfa import MfaSecret


class User(Base):
    """An account. E-mail and nickname are unique ignoring case (functional indexes)."""

    __tablename__ = "usercore_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(8))
    nickname: Mapped[str | None] = mapped_column(String(60))
    display_name: Mapped[str | None] = mapped_column(String(120))
    company: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    web_url: Mapped[str | None] = mapped_column(String(2048))
    picture_url: Mapped[str | None] = mapped_column(String(2048))
    account_type: Mapped[str] = mapped_column(String(16), default="user")
    phone_number: Mapped[str | None] = mapped_column(String(32))
    avatar_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    mfa: Mapped[MfaSecret | None] = relationship(
        primaryjoin=lambda: User.id == MfaSecret.user_id,
        foreign_keys=lambda: [MfaSecret.user_id], uselist=False, viewonly=True, lazy="select")

    __table_args__ = (
        Index("uq_usercore_users_email_lower", func.lower(email), unique=True),
        Index("uq_usercore_users_nickname_lower", func.lower(nickname), unique=True),
    )

    @property
    def mfa_setup(self) -> bool:
        """An MFA secret was generated (init-mfa was called)."""
        return self.mfa is not None

    @property
    def mfa_active(self) -> bool:
        """MFA is confirmed and guards login and sensitive changes."""
        return self.mfa is not None and self.mfa.confirmed_at is not None


