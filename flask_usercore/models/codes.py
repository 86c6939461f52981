"""One-time codes: registration, e-mail change, password reset, phone, support code."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime


class CodePurpose(enum.StrEnum):
    REGISTRATION = "registration"
    EMAIL_CHANGE = "email_change"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name)
    PHONE = "phone"
    SUPPORT = "support"


class OneTimeCode(UserOwned, Base):
    """A code's keyed hash. Using it is a conditional UPDATE on ``used_at IS NULL``."""

    __tablename__ = "usercore_one_time_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_usercore_one_time_codes_user_purpose", "user_id", "purpose"),
                      Index("ix_usercore_one_time_codes_purpose_code_hash", "purpose",
                            "code_hash"))
