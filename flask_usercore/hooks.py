"""Protocols a host implements to plug in mail, SMS, avatar storage and user visibility,
with defaults.

Pass your own objects to :class:`flask_usercore.UserCore` (``mailer=``, ``sms_sender=``,
``avatar_storage=``, ``visibility=``). The defaults log (mail and SMS) or, with
``USERCORE_MAIL_OUTBOX`` / ``USERCORE_SMS_OUTBOX`` set, write every mail as an ``.eml`` file
and every SMS as a ``.txt`` file into that folder, like Django's file-based mail backend.
Avatars go to a local folder (``USERCORE_AVATAR_FOLDER``, default under the instance path).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
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
    """Delivers mail, after the operation's commit (from the outbox: ``services/outbox.py``).
    A raise is logged and sent as the ``delivery_failed`` signal, and the mail is retried
    by ``flask usercore deliver``; the operation has succeeded all the same."""

    def send(self, mail: Mail) -> None: ...


@runtime_checkable
class DeliveryQueue(Protocol):
    """Hands the outbox's messages to a job queue instead of sending them in the request's
    process (``UserCore(..., delivery_queue=...)``; ``flask_usercore.rq_delivery`` is one for
    RQ). ``enqueue`` is called after the commit with the id of a row of the outbox; the job
    calls :func:`flask_usercore.services.outbox.deliver_message` in an app context. A raise
    is logged: the row waits for ``flask usercore deliver``."""

    def enqueue(self, message_id: uuid.UUID) -> None: ...


@runtime_checkable
class SmsSender(Protocol):
    """Delivers a text message to an E.164 phone number."""

    def send_sms(self, to: str, text: str) -> None: ...


@runtime_checkable
class AvatarStorage(Protocol):
    """Keeps avatar images (already checked and re-encoded) under keys the extension chooses.

    Keys are short names such as ``3f2c...e1.png`` (letters, digits, ``.``, ``-``). ``url``
    gives the public address of a stored image, or None to have the extension serve it at
    ``GET {prefix}/files/{fileId}/{name}`` (it then calls ``load``). Raise from ``save`` to
    make the upload fail; ``delete`` of a missing key does nothing.
    """

    def save(self, key: str, data: bytes, mime_type: str) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str | None: ...


@runtime_checkable
class Visibility(Protocol):
    """Decides whether ``viewer`` may see the public profile of ``other``."""

    def can_see(self, viewer: User, other: User) -> bool: ...


@dataclass(frozen=True, slots=True)
class Location:
    """Where an IP address is: a city name and an ISO 3166-1 alpha-2 country code."""

    city: str | None = None
    country: str | None = None


@runtime_checkable
class LocationLookup(Protocol):
    """Locates the IP address a session was started from (``UserSession.location``).

    Called when sessions are listed, once per distinct address of the page; return None
    when unknown. Cache inside when the lookup is slow (a GeoIP database file is fast).
    """

    def locate(self, ip_address: str) -> Location | None: ...


class NoLocation:
    """Default location hook: sessions show only their IP address."""

    def locate(self, ip_address: str) -> Location | None:
        return None


class LoggingMailer:
    """Default mailer: writes each mail to the ``flask_usercore.mail`` logger."""

    def send(self, mail: Mail) -> None:
        logger.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class FileOutboxMailer:
    """Writes every mail as an RFC 5322 ``.eml`` file into ``folder``, named
    ``YYYYmmdd-HHMMSS-ffffff-<12 hex digits>.eml`` (sorted by name, in the order sent).

    The files hold codes in clear: each is created readable by its owner only (``0600``),
    and appears whole or not at all (a full disk leaves no file behind)."""

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
        # microseconds: the names sort in the order the mails were sent
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:12]}.eml"
        write_file(path, bytes(message), mode=0o600)
        logger.info("mail to %s written to %s", recipient_ref(mail.to), path)


class LoggingSmsSender:
    """Default SMS sender: writes each message to the ``flask_usercore.mail`` logger."""

    def send_sms(self, to: str, text: str) -> None:
        logger.info("sms to %s: %s", to, text)


class FileOutboxSmsSender:
    """Writes every SMS as a text file into ``folder``: a ``To:`` line, a blank line, the text
    (readable by its owner only, ``0600``: it holds the code)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def send_sms(self, to: str, text: str) -> None:
        # microseconds: the names sort in the order the messages were sent
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.txt"
        write_file(path, f"To: {to}\n\n{text}\n".encode(), mode=0o600)
        logger.info("sms to %s written to %s", recipient_ref(to), path)


def recipient_ref(address: str) -> str:
    """What logs and signals name instead of a mail address or phone number: the first 16
    hex digits of its SHA-256 (of the address in lower case). Find a user's messages in the
    log by computing it for their address."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (the one place the file hooks write bytes)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_file(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` (its folder created when missing) as a whole: into a hidden
    ``.part`` file created with ``mode`` (never wider, whatever the umask allows), then
    renamed over ``path``. Any ``OSError`` (a full disk, a read-only folder) removes the
    ``.part`` file and is raised: no partial or empty file is ever left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have narrowed it; never wider than asked
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(partial, path)  # readers never see half a file
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


_STORAGE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,127}")
#: The name of an unfinished write of :func:`write_file`.
_PART = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9.-]{0,127}\.[0-9a-f]{8}\.part")


class LocalAvatarStorage:
    """Default avatar storage: one file per key in ``folder``, served by the extension."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        if not _STORAGE_KEY.fullmatch(key) or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.folder / key

    def save(self, key: str, data: bytes, mime_type: str) -> None:
        """Write the file whole or not at all; an ``OSError`` (full disk: ``ENOSPC``,
        read-only folder: ``EROFS``/``EACCES``) is raised with no file left behind."""
        write_file(self._path(key), data, mode=0o644)

    def stored_keys(self) -> list[str]:
        """Every key stored, and the ``.part`` files of writes that never finished (a crash
        in the middle), for ``flask usercore purge``; empty when the folder is missing."""
        if not self.folder.is_dir():
            return []
        return sorted(entry.name for entry in self.folder.iterdir()
                      if entry.is_file() and (_STORAGE_KEY.fullmatch(entry.name)
                                              or _PART.fullmatch(entry.name)))

    def modified(self, key: str) -> float | None:
        """When ``key`` (or a ``.part`` file of :meth:`stored_keys`) was last written (a POSIX
        time), or None when it is gone."""
        try:
            return self._entry(key).stat().st_mtime
        except FileNotFoundError:
            return None

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._entry(key).unlink(missing_ok=True)

    def _entry(self, key: str) -> Path:
        """The file of ``key``, or of a leftover ``.part`` name of :meth:`stored_keys`."""
        if _PART.fullmatch(key):
            return self.folder / key
        return self._path(key)

    def url(self, key: str) -> str | None:
        return None


class NobodyVisible:
    """Default visibility: a user sees nobody else's profile."""

    def can_see(self, viewer: User, other: User) -> bool:
        return False
