"""A user's personalized GUI settings: one opaque base64 document."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class UserSettings(Base):
    """The ``settingsString`` of one user, as its canonical base64 text."""

    __tablename__ = "usercore_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("usercore_users.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
