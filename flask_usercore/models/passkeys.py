"""Passkeys (WebAuthn credentials) and the challenges of their ceremonies."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime, utcnow


class Passkey(UserOwned, Base):
    """One registered WebAuthn credential: what a later assertion is verified against.

    ``user_handle`` is the WebAuthn user id: random bytes, the same for all of a user's
    passkeys (never the e-mail or the user's id). The credential id is unique.
    """

    __tablename__ = "usercore_passkeys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The authenticator's transports (``internal hybrid usb``), space-separated.
    transports: Mapped[str] = mapped_column(String(255), default="")
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64))
    #: Whether the credential may be synced (backup eligible) and whether it is (backed up).
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    name: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_usercore_passkeys_credential_id", "credential_id", unique=True),
        Index("ix_usercore_passkeys_user_id", "user_id"),
    )


class PasskeyChallenge(Base):
    """A challenge handed out with a ceremony's options: used once (a conditional
    ``DELETE``), until ``expires_at``. Stored as its SHA-256; bound to the session that asked
    (registration) or to the user (second factor)."""

    __tablename__ = "usercore_passkey_challenges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    challenge_hash: Mapped[str] = mapped_column(String(64))
    #: ``register``, ``login`` or ``second-factor``.
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("usercore_credentials.id", ondelete="CASCADE"))
    #: The user handle offered with a registration's options.
    user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("uq_usercore_passkey_challenges_challenge_hash", "challenge_hash", unique=True),
        Index("ix_usercore_passkey_challenges_user_id", "user_id"),
        Index("ix_usercore_passkey_challenges_session_id", "session_id"),
    )
