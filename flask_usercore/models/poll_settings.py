"""The state of the in-app poll prompt, one row per user who answered it."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class PollStatus(enum.StrEnum):
    NEW = "new"
    COMPLETED = "completed"
    MUTED = "muted"
    IGNORED = "ignored"


class PollSettings(Base):
    """``status`` with the moments that go with it; no row means ``new``."""

    __tablename__ = "usercore_poll_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("usercore_users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ignored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dont_show_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
