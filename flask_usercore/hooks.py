"""Protocols a host implements to plug in mail, SMS and user visibility, with defaults.

Pass your own objects to :class:`flask_usercore.UserCore` (``mailer=``, ``sms_sender=``,
``visibility=``). The defaults log (mail and SMS) or, with ``USERCORE_MAIL_OUTBOX`` set, write
every mail as an ``.eml`` file into that folder, like Django's file-based mail backend.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .models.base import utcnow

if TYPE_CHECKING:
    from .models import User

logger = logging.getLogger("flask_usercore.mail")


@dataclass(frozen=True, slots=True)
class Mail:
    """A mail the extension wants delivered: a plain-text ``body`` and, usually, an ``html``
    alternative (both rendered from templates, see ``flask_usercore/mail.py``)."""

    to: str
    subject: str
    body: str
    html: str | None = None


@runtime_checkable
class Mailer(Protocol):
    """Delivers mail. Raise to make the calling operation fail (it is rolled back)."""

    def send(self, mail: Mail) -> None: ...


@runtime_checkable
class SmsSender(Protocol):
    """Delivers a text message to an E.164 phone number."""

    def send_sms(self, to: str, text: str) -> None: ...


@runtime_checkable
class Visibility(Protocol):
    """Decides whether ``viewer`` may see the public profile of ``other``."""

    def can_see(self, viewer: User, other: User) -> bool: ...


class LoggingMailer:
    """Default mailer: writes each mail to the ``flask_usercore.mail`` logger."""

    def send(self, mail: Mail) -> None:
        logger.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class FileOutboxMailer:
    """Writes every mail as an RFC 5322 ``.eml`` file into ``folder``."""

    def __init__(self, folder: Path | str, sender: str = "no-reply@localhost") -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body, cte="8bit")  # readable as-is in the .eml file
        if mail.html is not None:
            message.add_alternative(mail.html, subtype="html", cte="8bit")
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        (self.folder / name).write_bytes(bytes(message))
        logger.info("mail to %s written to %s", mail.to, self.folder / name)


class LoggingSmsSender:
    """Default SMS sender: writes each message to the ``flask_usercore.mail`` logger."""

    def send_sms(self, to: str, text: str) -> None:
        logger.info("sms to %s: %s", to, text)


class NobodyVisible:
    """Default visibility: a user sees nobody else's profile."""

    def can_see(self, viewer: User, other: User) -> bool:
        return False
