"""Uploaded files (avatars) and the single-use upload tokens (``refId``) that admit them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned, UTCDateTime


class UploadToken(UserOwned, Base):
    """A ``refId`` handed out by ``POST /v2/users/{userId}/avatar``, kept as its SHA-256.

    Using it is a conditional UPDATE on ``used_at IS NULL`` before ``expires_at``.
    """

    __tablename__ = "usercore_upload_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StoredFile(UserOwned, Base):
    """A file in the avatar storage: ``id`` is the public file id (``avatarRef``)."""

    __tablename__ = "usercore_files"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    #: The key in the :class:`~flask_usercore.hooks.AvatarStorage`.
    storage_key: Mapped[str] = mapped_column(String(128))
    #: The address ``pictureUrl`` was given when the file was stored.
    public_url: Mapped[str] = mapped_column(String(2048))
