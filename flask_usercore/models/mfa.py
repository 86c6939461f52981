"""TOTP secrets (encrypted) and recovery codes (hashed)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime, utcnow


class MfaSecret(Base):
    """A user's TOTP seed, encrypted; ``confirmed_at`` set once a code proved the setup."""

    __tablename__ = "usercore_mfa_secrets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("usercore_users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(UserOwned, Base):
    """One of the 20 single-use recovery codes, stored as a keyed hash."""

    __tablename__ = "usercore_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
