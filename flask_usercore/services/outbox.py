"""The transactional outbox: mail and SMS that survive a crash.

A service never sends: :func:`enqueue_mail` and :func:`enqueue_sms` add a row to
``usercore_outbox`` in the operation's own transaction (the message encrypted with the app's
secret key: it carries codes), so a message exists exactly when the change it announces was
committed. After the commit the row is handed on (:func:`dispatch`): sent at once in the
request's process, as before, or given to a job queue (``hooks.DeliveryQueue``).

Whoever sends a row first *claims* it: a conditional ``UPDATE`` that moves ``due_at`` by the
retry delay (``USERCORE_DELIVERY_RETRY_SECONDS``, doubled after each failure), committed
before the send (a row sent by the request's process is written claimed already, in the
operation's transaction: after the commit only its ``DELETE`` remains). Only one claim of a
due row can succeed (on PostgreSQL the batch of
``flask usercore deliver`` picks its rows with ``FOR UPDATE SKIP LOCKED``), so two
deliveries never send one row; a sent row is deleted at once. A failed send stays for the
next attempt after the delay; a process that dies between the commit and the send, or in the
middle of it, leaves the row due once the delay has passed: ``flask usercore deliver`` (cron,
or ``--loop``) sends it then. (Dying after the mail server accepted a mail but before the
row's ``DELETE`` sends it once more: no mail protocol can tell.) A row past
``USERCORE_DELIVERY_TTL`` is deleted unsent. Every failure is logged with the row's id, the
``recipient_ref`` of the address (never the address) and the exception's class, and sent
as :data:`~flask_usercore.signals.delivery_failed`.

These run outside any operation, each step a short transaction of its own on the services'
session (``deps.uow``): call them from a CLI command, a job, or after a commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError

from .. import signals
from ..hooks import Mail, recipient_ref
from ..models import OutboxMessage
from .context import Deps, after_commit

logger = logging.getLogger("flask_usercore")

MAIL, SMS = "mail", "sms"
#: The longest retry delay, in seconds.
MAX_DELAY = 3600
#: Rows claimed per batch of :func:`deliver_due`.
DEFAULT_BATCH = 100


class DeliveryExpired(Exception):
    """The ``error`` of ``delivery_failed`` for a message dropped unsent at its expiry."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this process claimed: it, and nobody else until ``due_at``, sends it."""

    id: uuid.UUID
    kind: str
    recipient_ref: str
    #: The encrypted message (decrypted only to send it).
    ciphertext: str
    attempts: int
    expires_at: dt.datetime
    due_at: dt.datetime


@dataclass(slots=True)
class DeliveryReport:
    """What :func:`deliver_due` did: messages sent, failed (to be retried), dropped."""

    sent: int = 0
    failed: int = 0
    expired: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.expired += other.expired


# -- writing (inside the operation) ---------------------------------------------------


def enqueue_mail(deps: Deps, mail: Mail) -> uuid.UUID:
    """Add ``mail`` to the outbox in the current transaction; it is sent after the commit
    (dropped with a rollback). The row's id."""
    return _enqueue(deps, MAIL, mail.to, {"to": mail.to, "subject": mail.subject,
                                          "body": mail.body, "html": mail.html})


def enqueue_sms(deps: Deps, to: str, text: str) -> uuid.UUID:
    """Add a text message to ``to`` (E.164) to the outbox, as :func:`enqueue_mail`."""
    return _enqueue(deps, SMS, to, {"to": to, "text": text})


def _enqueue(deps: Deps, kind: str, to: str, payload: dict[str, Any]) -> uuid.UUID:
    """Add the row. Sent in this process (no job queue), it is written claimed by this
    process already (its first attempt counted, due after the retry delay): the send after
    the commit needs no claim of its own, only the ``DELETE`` once sent."""
    now = deps.clock()
    inline = deps.delivery_queue is None
    ciphertext = deps.box.encrypt(json.dumps(payload))
    expires_at = now + dt.timedelta(seconds=deps.config.delivery_ttl)
    row = OutboxMessage(id=uuid.uuid4(), created_at=now, kind=kind,
                        recipient_ref=recipient_ref(to), payload=ciphertext,
                        due_at=now + retry_delay(deps, 1) if inline else now,
                        expires_at=expires_at, attempts=1 if inline else 0)
    deps.session.add(row)
    message_id = row.id
    if inline:
        claimed = Claimed(message_id, kind, row.recipient_ref, ciphertext, 1, expires_at,
                          row.due_at)
        after_commit(deps, lambda: dispatch(deps, message_id, claimed))
    else:
        after_commit(deps, lambda: dispatch(deps, message_id))
    return message_id


# -- sending (after the commit) -------------------------------------------------------


def dispatch(deps: Deps, message_id: uuid.UUID, claimed: Claimed | None = None) -> None:
    """Hand a committed row on: send it now when this process claimed it as it wrote it
    (``claimed``), else give it to the job queue. Never raises (the operation has
    succeeded)."""
    if claimed is not None:
        _send(deps, claimed)
        return
    queue = deps.delivery_queue
    if queue is None:
        deliver_message(deps, message_id)
        return
    try:
        queue.enqueue(message_id)
    except Exception as exc:
        logger.warning("outbox message %s could not be queued (%s): it waits for "
                       "`flask usercore deliver`", message_id, type(exc).__name__)


def deliver_message(deps: Deps, message_id: uuid.UUID) -> bool | None:
    """Claim and send the row ``message_id`` (a job of the delivery queue calls this):
    True when sent, False when the send failed (it is retried later), None when there was
    nothing to do (sent already, claimed by another delivery, not due, or expired)."""
    claimed = _claim(deps, [message_id], 1)
    return _send(deps, claimed[0]) if claimed else None


def deliver_due(deps: Deps, *, batch: int = DEFAULT_BATCH) -> DeliveryReport:
    """Drop the expired rows, then claim and send up to ``batch`` due ones, oldest first.

    ``flask usercore deliver`` calls it until a batch comes back short. Safe to run in
    several processes and hosts at once.
    """
    report = DeliveryReport(expired=drop_expired(deps))
    for claimed in _claim(deps, None, batch):
        if _send(deps, claimed):
            report.sent += 1
        else:
            report.failed += 1
    return report


def drop_expired(deps: Deps) -> int:
    """Delete the rows past their expiry that nobody is sending (each signalled as a
    final ``delivery_failed`` with :class:`DeliveryExpired`); how many."""
    now = deps.clock()
    try:
        rows = deps.session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient_ref,
                   OutboxMessage.payload, OutboxMessage.attempts)
            .where(OutboxMessage.expires_at <= now, OutboxMessage.due_at <= now)
            .with_for_update(skip_locked=True)).all()
        gone = [row for row in rows if _delete(deps, row.id)]
        deps.uow.commit()
    except BaseException:
        deps.uow.rollback()
        raise
    for row in gone:
        _failed(deps, row.id, row.kind, row.recipient_ref, _payload(deps, row.payload),
                DeliveryExpired("the message expired unsent"), row.attempts, final=True)
    return len(gone)


def _delete(deps: Deps, message_id: uuid.UUID) -> bool:
    result = deps.session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))
    return bool(getattr(result, "rowcount", 0))


def retry_delay(deps: Deps, attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th attempt: the retry delay doubled per earlier
    attempt, at most :data:`MAX_DELAY` (and never less than the retry delay)."""
    base = deps.config.delivery_retry_seconds
    return dt.timedelta(seconds=max(base, min(MAX_DELAY, base * 2 ** max(0, attempts - 1))))


def _claim(deps: Deps, ids: list[uuid.UUID] | None, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due rows (of ``ids``, or any) in one committed transaction.

    Each claim is a conditional ``UPDATE`` on ``due_at <= now``: of two deliveries that saw
    the same due row, the second changes nothing. On PostgreSQL the candidates are locked
    first (``FOR UPDATE SKIP LOCKED``: another deliverer's rows are passed over, not
    waited for); on SQLite a writer that lost the race gets "database is locked" and claims
    nothing this time.
    """
    now = deps.clock()
    due = (OutboxMessage.due_at <= now, OutboxMessage.expires_at > now)
    try:
        if ids is not None and len(ids) == 1:
            candidates = [(ids[0], None)]  # the claim below is the only statement
        else:
            query = select(OutboxMessage.id, OutboxMessage.attempts).where(*due)
            if ids is not None:
                query = query.where(OutboxMessage.id.in_(ids))
            candidates = [(row.id, row.attempts) for row in deps.session.execute(
                query.order_by(OutboxMessage.due_at, OutboxMessage.created_at).limit(limit)
                .with_for_update(skip_locked=True))]
        won: list[uuid.UUID] = []
        for message_id, _ in candidates:
            result = deps.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id, *due)
                .values(attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False))
            if getattr(result, "rowcount", 0) == 1:
                won.append(message_id)
        rows = list(deps.session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipient_ref,
                   OutboxMessage.payload, OutboxMessage.attempts,
                   OutboxMessage.expires_at).where(OutboxMessage.id.in_(won)))) if won else []
        claimed = []
        for row in rows:
            due_at = now + retry_delay(deps, row.attempts)
            deps.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                 .values(due_at=due_at)
                                 .execution_options(synchronize_session=False))
            claimed.append(Claimed(row.id, row.kind, row.recipient_ref, row.payload,
                                   row.attempts, row.expires_at, due_at))
        deps.uow.commit()
    except OperationalError as exc:
        deps.uow.rollback()
        if "locked" not in str(exc):  # SQLite: another delivery holds the write lock
            raise
        return []
    except BaseException:
        deps.uow.rollback()
        raise
    return claimed


def _payload(deps: Deps, ciphertext: str) -> dict[str, Any]:
    """The message of a row; empty when no configured key decrypts it (the key that wrote it
    was dropped from ``USERCORE_SECRET_KEY_FALLBACKS``)."""
    try:
        payload: dict[str, Any] = json.loads(deps.box.decrypt(ciphertext))
    except ValueError:
        return {}
    return payload


def _send(deps: Deps, claimed: Claimed) -> bool:
    """Send a claimed row; delete it when sent, record the failure when not. Never raises."""
    payload = _payload(deps, claimed.ciphertext)
    try:
        if not payload:
            raise ValueError("no configured secret key decrypts this message")
        if claimed.kind == MAIL:
            deps.mailer.send(_mail(payload))
        else:
            deps.sms.send_sms(payload["to"], payload["text"])
    except Exception as exc:
        final = claimed.due_at >= claimed.expires_at  # the next attempt would be too late
        _finish(deps, claimed.id, None if final else type(exc).__name__[:120])
        _failed(deps, claimed.id, claimed.kind, claimed.recipient_ref, payload, exc,
                claimed.attempts, final=final)
        return False
    _finish(deps, claimed.id, None)
    return True


def _finish(deps: Deps, message_id: uuid.UUID, error: str | None) -> None:
    """Delete the row (``error`` None: sent, or given up) or record ``error`` on it.

    The ``DELETE`` need not wait for the database's disk flush (PostgreSQL: one fsync less
    per message): lost in a crash of the database server, it makes the message go once
    more, as a process dying right after the send would."""
    try:
        if error is None:
            deps.uow.relax_durability()
            _delete(deps, message_id)
        else:
            deps.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                                 .values(last_error=error)
                                 .execution_options(synchronize_session=False))
        deps.uow.commit()
    except Exception:
        deps.uow.rollback()
        logger.exception("outbox message %s: its state could not be stored", message_id)


def _mail(payload: dict[str, Any]) -> Mail:
    return Mail(to=payload["to"], subject=payload["subject"], body=payload["body"],
                html=payload.get("html"))


def _failed(deps: Deps, message_id: uuid.UUID, kind: str, ref: str, payload: dict[str, Any],
            error: BaseException, attempts: int, *, final: bool) -> None:
    what = f"mail {payload.get('subject', '')!r}" if kind == MAIL else "SMS"
    logger.error("%s to %s could not be delivered: %s (outbox message %s, attempt %d, %s)",
                 what, ref, type(error).__name__, message_id, attempts,
                 "given up" if final else "retried later")
    signals.delivery_failed.send(
        deps.sender, mail=_mail(payload) if kind == MAIL and payload else None,
        sms_to=payload.get("to") if kind == SMS else None, error=error, message_id=message_id,
        recipient_ref=ref, attempts=attempts, final=final)
