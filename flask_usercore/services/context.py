"""What every service receives: its collaborators (:class:`Deps`), request facts, and the
after-commit queue of the current transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import UserCoreConfig
from ..hooks import (
    AvatarStorage,
    DeliveryQueue,
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
from ..runtime.unit_of_work import AnySession, UnitOfWork
from ..security.crypto import SecretBox
from ..security.passwords import PasswordHasher
from ..security.policy import PolicyRegistry
from .clock import Clock


@dataclass(frozen=True, slots=True)
class Deps:
    """The long-lived collaborators of the services, built once by ``init_app``."""

    session: AnySession
    #: The operation's unit of work: after-commit actions, durable writes, the strategy of
    #: the database (``runtime/unit_of_work.py``).
    uow: UnitOfWork
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
    #: The app's password policies by name (``security/policy.py``, ``register_policy``).
    policies: PolicyRegistry = field(default_factory=PolicyRegistry)
    #: Where committed outbox messages go (``services/outbox.py``): None sends them in the
    #: request's process right after the commit.
    delivery_queue: DeliveryQueue | None = None


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


def expiry(now: dt.datetime, seconds: int) -> dt.datetime:
    """``now`` plus ``seconds``."""
    return now + dt.timedelta(seconds=seconds)


def after_commit(deps: Deps, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current transaction has committed (mail, SMS, signals).

    Services never commit: the operation does, once, and then runs these in order. When the
    transaction is rolled back they are dropped, so nothing is announced that did not happen.
    """
    deps.uow.after_commit(callback)


def on_rollback(deps: Deps, callback: Callable[[], object]) -> None:
    """Run ``callback`` should the current transaction be rolled back, or its commit fail
    (remove a file written for it); dropped once it has committed."""
    deps.uow.on_rollback(callback)


def deliver(deps: Deps, mail: Mail) -> None:
    """Write ``mail`` to the outbox in the current transaction; it is sent after the commit
    (``services/outbox.py``). A failure is logged and signalled, never raised, and retried by
    ``flask usercore deliver`` until it goes or expires.

    The receivers of :data:`flask_usercore.signals.delivery_failed` get ``mail`` and
    ``error`` (and the row's ``message_id``, ``recipient_ref``, ``attempts``, ``final``).
    """
    from .outbox import enqueue_mail  # it builds on this module

    enqueue_mail(deps, mail)


def send_mail(deps: Deps, template: str, to: str, **context: Any) -> None:
    """Render the mail ``template`` now (from the objects the transaction holds) and
    deliver it after the commit (:func:`deliver`)."""
    deliver(deps, deps.mails.render(template, to, **context))


def commit(session: AnySession) -> None:
    """Commit work done by services outside an operation (a script, the CLI, a test),
    then run its after-commit actions: the operation wrapper does this for requests."""
    UnitOfWork(session).commit()


def rollback(session: AnySession) -> None:
    """Roll back work done by services outside an operation, dropping its after-commit
    actions."""
    UnitOfWork(session).rollback()
