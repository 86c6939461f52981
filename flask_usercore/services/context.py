"""What every service receives: its collaborators (:class:`Deps`) and request facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, scoped_session

from ..config import UserCoreConfig
from ..hooks import Mailer, SmsSender, Visibility
from ..models import Credential, User
from ..security.crypto import SecretBox
from ..security.passwords import PasswordHasher


@dataclass(frozen=True, slots=True)
class Deps:
    """The long-lived collaborators of the services, built once by ``init_app``."""

    session: scoped_session[Any] | Session
    config: UserCoreConfig
    hasher: PasswordHasher
    box: SecretBox
    mailer: Mailer
    sms: SmsSender
    visibility: Visibility
    #: Sender of the signals (the Flask app).
    sender: Any


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Facts about the calling client that a service may record (sessions, audit)."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Auth:
    """The authenticated caller: the user and the credential the request presented."""

    user: User
    credential: Credential
    token: str


def expiry(now: dt.datetime, seconds: int) -> dt.datetime:
    """``now`` plus ``seconds``."""
    return now + dt.timedelta(seconds=seconds)
