"""What every service receives: its collaborators (:class:`Deps`), request facts, and the
after-commit queue of the current transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.pool import Pool
from sqlalchemy.sql.expression import Executable

from .. import signals
from ..config import UserCoreConfig
from ..hooks import (
    AvatarStorage,
    LocationLookup,
    Mail,
    Mailer,
    NoLocation,
    SmsSender,
    Visibility,
)
from ..mail import MailRenderer
from ..models import Credential, User
from ..runtime.last_access import LastAccess
from ..runtime.lockout import Lockout
from ..security.crypto import SecretBox
from ..security.passwords import PasswordHasher
from .clock import Clock

logger = logging.getLogger("flask_usercore")

#: psycopg's "no transaction open" status (``psycopg.pq.TransactionStatus.IDLE``; psycopg
#: is optional, its value is fixed by libpq).
_IDLE = 0

#: ``Session.get_bind`` arguments naming the library's tables (a host may bind them apart).
_LIBRARY_BIND: dict[str, Any] = {"mapper": Credential}

#: Key of the after-commit queue in ``Session.info``.
_AFTER_COMMIT = "usercore_after_commit"
#: Key, in ``Session.info`` and in the pooled connection's ``info``, of the psycopg
#: connection that :func:`single_statements` put into autocommit.
_SINGLE = "usercore_single_statements"

AnySession = scoped_session[Any] | Session


@dataclass(frozen=True, slots=True)
class Deps:
    """The long-lived collaborators of the services, built once by ``init_app``."""

    session: AnySession
    config: UserCoreConfig
    hasher: PasswordHasher
    box: SecretBox
    mailer: Mailer
    sms: SmsSender
    visibility: Visibility
    #: Keeps the avatar images (``hooks.AvatarStorage``).
    avatars: AvatarStorage
    #: Renders the mail templates (``flask_usercore/mail.py``).
    mails: MailRenderer
    #: Per-account failure counts of passwords and second factors.
    lockout: Lockout
    #: Sender of the signals (the Flask app).
    sender: Any
    #: Locates a session's IP address (city, country) when sessions are listed.
    location: LocationLookup = field(default_factory=NoLocation)
    #: This process's buffer of credentials' last-use times (``last_access.py``).
    last_access: LastAccess = field(default_factory=LastAccess)
    #: The services' current time (``clock.py``); tests replace its ``source``.
    clock: Clock = field(default_factory=Clock)


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Facts about the calling client that a service may record (sessions, audit)."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Auth:
    """The authenticated caller: the user, the credential the request presented, its kind
    (a :class:`~flask_usercore.models.CredentialKind` value) and its scopes or roles."""

    user: User
    credential: Credential
    token: str
    kind: str = "session"
    scopes: frozenset[str] = field(default_factory=frozenset)


def plain_session(session: AnySession) -> Session:
    """The request's :class:`Session` behind a ``scoped_session`` (or ``session`` itself)."""
    return session() if isinstance(session, scoped_session) else session


def expiry(now: dt.datetime, seconds: int) -> dt.datetime:
    """``now`` plus ``seconds``."""
    return now + dt.timedelta(seconds=seconds)


def after_commit(deps: Deps, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current transaction has committed (mail, SMS, signals).

    Services never commit: the operation does, once, and then runs these in order. When the
    transaction is rolled back they are dropped, so nothing is announced that did not happen.
    """
    deps.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def deliver(deps: Deps, mail: Mail) -> None:
    """Send ``mail`` after the commit; a failure is logged and signalled, never raised.

    The receivers of :data:`flask_usercore.signals.delivery_failed` get ``mail`` and
    ``error``; the user can ask for the mail again (the resend operations).
    """
    after_commit(deps, lambda: deliver_now(deps, mail))


def deliver_now(deps: Deps, mail: Mail) -> None:
    """Send ``mail`` at once; a failure is logged and signalled (``delivery_failed``), never
    raised. For a mail that goes out after the response (password reset)."""
    try:
        deps.mailer.send(mail)
    except Exception as exc:
        logger.error("mail %r to %s could not be delivered: %s", mail.subject, mail.to,
                     type(exc).__name__)
        signals.delivery_failed.send(deps.sender, mail=mail, error=exc)


def send_mail(deps: Deps, template: str, to: str, **context: Any) -> None:
    """Render the mail ``template`` now (from the objects the transaction holds) and
    deliver it after the commit (:func:`deliver`)."""
    deliver(deps, deps.mails.render(template, to, **context))


def commit_alone(deps: Deps, statement: Executable) -> int:
    """Execute one write and commit it at once, whatever becomes of the operation; returns
    the number of rows it touched.

    For the one write that must survive a failing request: a counter of wrong guesses. It
    runs on the operation's own connection (a second connection per request could exhaust
    the pool under load), so it must come before the operation writes anything: a pending
    change is a programming error, not something to commit early. Loaded objects stay
    loaded; after-commit actions already queued wait for the operation's commit.
    """
    session = plain_session(deps.session)
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("commit_alone() must run before the operation changes anything")
    result = session.execute(statement)
    _end_single_statements(session.info)
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    return int(getattr(result, "rowcount", 0))


def core_connection(deps: Deps) -> Connection:
    """The connection of the operation's transaction for the library's tables (its bind),
    for Core statements that need no ORM: ``execute`` on it skips the ORM's work per
    statement, 0.1 - 0.3 ms of a login's two on PostgreSQL. Pending ORM changes are
    flushed first, as ``Session.execute`` would."""
    session = plain_session(deps.session)
    session.flush()
    return session.connection(bind_arguments=_LIBRARY_BIND)


def single_statements(deps: Deps) -> None:
    """Until :func:`begin_transaction` or the operation's end, run each statement as a
    transaction of its own: on PostgreSQL (psycopg 3) no ``BEGIN`` and no ``COMMIT`` round
    trip, which a login, one read and one ``INSERT``, would otherwise pay on top of its two
    statements. Anywhere else (SQLite is in-process) nothing changes.

    Only at the start of an operation, before its first statement, and only for reads and
    one write: a single statement is atomic by itself, two are not, so a service that
    writes more calls :func:`begin_transaction` first. The operation's commit or rollback
    (and, as a safety net, the connection's return to the pool) turn it off again.
    """
    session = plain_session(deps.session)
    if session.info.get(_SINGLE) is not None or not session.is_active:
        return
    connection = session.connection(bind_arguments=_LIBRARY_BIND)
    if connection.dialect.driver != "psycopg":
        return
    driver = connection.connection.driver_connection
    if driver is None or driver.info.transaction_status != _IDLE:
        return  # something ran already: its transaction stays one
    driver.autocommit = True
    record_info = connection.connection.info
    record_info[_SINGLE] = driver
    session.info[_SINGLE] = (driver, record_info)


def begin_transaction(deps: Deps) -> None:
    """End :func:`single_statements`: the next statements share one transaction again,
    committed by the operation (a no-op when it was not on)."""
    _end_single_statements(deps.session.info)


def _end_single_statements(info: dict[Any, Any]) -> None:
    """Turn :func:`single_statements` off (``info``: the session's)."""
    entry = info.pop(_SINGLE, None)
    if entry is not None:
        driver, record_info = entry
        if record_info.get(_SINGLE) is driver:  # else the pool has taken it back already
            _autocommit_off(record_info)


def _autocommit_off(record_info: dict[Any, Any]) -> None:
    driver = record_info.pop(_SINGLE)
    if driver.autocommit and not driver.closed:
        try:
            driver.autocommit = False  # in autocommit no transaction is left open, but a
        except Exception:              # query cut off midway leaves the connection busy:
            logger.warning("closing a database connection left busy in autocommit")
            driver.close()             # closed, the pool replaces it rather than reuse it


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    """The safety net of :func:`single_statements`: a connection goes back into the pool
    as it came out, whatever path the operation took."""
    if record is not None and _SINGLE in record.info:
        _autocommit_off(record.info)


def commit(session: AnySession) -> None:
    """Commit the transaction, then run its after-commit callbacks.

    A callback that fails is logged and does not undo the commit (the user can ask again:
    resend operations); the remaining callbacks still run.
    """
    _end_single_statements(session.info)
    session.commit()
    run_after_commit(session)


def run_after_commit(session: AnySession) -> None:
    """Run the queued after-commit callbacks (after :func:`commit`, or after a read-only
    operation that had nothing to commit)."""
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            logger.exception("an after-commit action failed: %s",
                             getattr(callback, "__qualname__", callback))


def rollback(session: AnySession) -> None:
    """Roll the transaction back and drop its after-commit callbacks."""
    session.info.pop(_AFTER_COMMIT, None)
    _end_single_statements(session.info)
    session.rollback()
