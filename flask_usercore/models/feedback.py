"""Feedback a user submitted."""

from __future__ import annotations

import uuid

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UserOwned


class Feedback(UserOwned, Base):
    """One submission: subject, message, origin, type and vote (None: no vote)."""

    __tablename__ = "usercore_feedback"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(1000))
    type: Mapped[str | None] = mapped_column(String(16))
    vote: Mapped[float | None] = mapped_column(Float)
