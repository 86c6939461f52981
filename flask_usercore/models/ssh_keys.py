"""SSH public keys a user stores (mittwald's ``signup.SshKey``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime


class SshKey(UserOwned, Base):
    """One public key: its algorithm, the key data in OpenSSH form, comment and fingerprint.

    The SHA-256 ``fingerprint`` (colon-hex) is unique per user: the same key twice is a 409.
    """

    __tablename__ = "usercore_ssh_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    algorithm: Mapped[str] = mapped_column(String(32))
    #: ``<algorithm> <base64 blob>``, without the comment.
    public_key: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(95))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_usercore_ssh_keys_user_id_fingerprint", "user_id", "fingerprint",
              unique=True),
    )
