"""The transactional outbox: every mail and SMS is a row written in the operation's own
transaction, deleted once it is sent or has expired (``services/outbox.py``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """A mail or SMS waiting to be delivered.

    ``payload`` is the whole message (address, subject, text: the codes it carries) as JSON,
    encrypted and authenticated with the app's secret key (``security/crypto.py``), so a
    database dump or backup shows no code in clear; ``recipient_ref`` is the first 16 hex
    digits of the SHA-256 of the address, what logs and signals name instead of it.
    A delivery claims a row by moving ``due_at`` past the time its send may take (a
    conditional ``UPDATE``): no two deliveries send one row.
    """

    __tablename__ = "usercore_outbox"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``mail`` or ``sms``.
    kind: Mapped[str] = mapped_column(String(8))
    recipient_ref: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    #: When the next attempt may start (claiming a row moves it by the retry delay).
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: After this the message is dropped unsent (``USERCORE_DELIVERY_TTL``).
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The exception class of the last failed attempt (never its message).
    last_error: Mapped[str | None] = mapped_column(String(120))
