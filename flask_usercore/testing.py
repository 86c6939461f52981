"""Testing a host app that embeds flask-usercore: verified users, logged-in clients, the mail
and SMS outboxes, and a client that runs the work an operation leaves for after its response.

A pytest plugin, registered by the host's own top-level ``conftest.py`` (never automatically)::

    pytest_plugins = ["flask_usercore.testing"]

Its fixtures use the host's ``app`` fixture (override ``usercore_app`` to use another one):

- ``usercore_client``: a test client whose calls return once the after-response work (the
  password-reset mail) has run, as a real server's would;
- ``usercore_make_user``: makes a verified user (:func:`make_user`); ``usercore_user``: one;
- ``usercore_login``: a client logged in as a given user (:func:`login_client`);
  ``usercore_logged_in_client``: one logged in as ``usercore_user``;
- ``usercore_mail`` and ``usercore_sms``: what the app sent during the test
  (:class:`MailOutbox`, :class:`SmsOutbox`).

Everything here is also usable without the fixtures (``unittest``, scripts). The package never
imports this module; it needs pytest only for the fixtures, which the host's tests have. See
``docs/testing.md``.

PYTEST_DONT_REWRITE: this module states its failures without ``assert``, so pytest need not
rewrite it, and a ``conftest.py`` may import from it (``FAST_SETTINGS``) before its
``pytest_plugins`` is read without a warning that it came too late to be rewritten.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .commands.registration import Person, Register
from .hooks import FileOutboxMailer, FileOutboxSmsSender, Mail
from .services.authentication import start_session
from .services.context import ClientInfo
from .services.reauth import PASSWORD as PASSWORD_LOGIN
from .services.registration import create_user
from .state import usercore_state
from .web.transport import COOKIE_NAME

__all__ = [
    "DEFAULT_PASSWORD",
    "FAST_SETTINGS",
    "CreatedUser",
    "MailOutbox",
    "RecordingMailer",
    "RecordingSmsSender",
    "Sms",
    "SmsOutbox",
    "UserCoreClient",
    "client_for",
    "finish_app",
    "login",
    "login_client",
    "make_user",
    "read_eml",
    "read_sms",
    "run_after_response",
]

#: The password of the users :func:`make_user` makes (it passes the ``mittwald`` policy).
DEFAULT_PASSWORD = "correct horse battery staple 9"  # noqa: S105 (a test fixture's)
#: Settings for a test app: cheap argon2 (never in production) and no rate limits, so that
#: many registrations and logins from one client address do not run into 429s.
FAST_SETTINGS: dict[str, Any] = {
    "USERCORE_ARGON2_TIME_COST": 1,
    "USERCORE_ARGON2_MEMORY_COST": 64,
    "USERCORE_ARGON2_PARALLELISM": 1,
    "USERCORE_RATELIMIT_AUTH": "",
}
#: The client information the sessions of :func:`login` record.
_TEST_CLIENT = ClientInfo(ip_address="127.0.0.1", user_agent="flask_usercore.testing")
#: The codes of the shipped mail and SMS texts (``your verification code is: 12345678``,
#: ``Your reset code is: ...``).
_CODE = re.compile(r"code is: (\S+)", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s<>\"']+")


# -- users ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedUser:
    """A user :func:`make_user` stored: its id, e-mail address and password."""

    id: uuid.UUID
    email: str
    password: str


def make_user(app: Flask, email: str | None = None, *, password: str = DEFAULT_PASSWORD,
              verified: bool = True, first_name: str = "Ada", last_name: str = "Lovelace",
              **profile: Any) -> CreatedUser:
    """Store a user of ``app`` and commit it; no mail is sent.

    ``email`` defaults to a new ``user-<hex>@example.com``; ``verified`` (default) marks the
    address verified, so the user can log in at once. ``profile``: the Profile fields of
    :class:`~flask_usercore.commands.registration.Register` (``nickname``, ``company``, ...).
    The service's rules hold: a password the policy refuses, or an address or nickname in
    use, raises :class:`~flask_usercore.errors.ValidationFailed`; the wire checks of
    ``POST /v2/register`` (address syntax, lengths) are not made.
    """
    address = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    command = Register(address, password, Person(first_name, last_name), **profile)
    with app.app_context():
        deps = usercore_state(app).deps
        try:
            user = create_user(deps, command, verified_at=deps.clock() if verified else None)
            created = CreatedUser(user.id, user.email, password)
            deps.uow.commit()
        except BaseException:
            deps.uow.rollback()
            raise
        return created


def login(app: Flask, user: CreatedUser | uuid.UUID) -> str:
    """The access token of a new session of ``user`` (committed), as a login would give.

    No password is checked and no second factor asked for, and no rate limit or lockout
    counts it; the session is fresh, as after a password login
    (``USERCORE_REAUTH_MAX_AGE``); the ``login_succeeded`` signal is sent. Send the token as
    ``Authorization: Bearer <token>`` (:func:`login_client` does).
    """
    user_id = user.id if isinstance(user, CreatedUser) else user
    with app.app_context():
        deps = usercore_state(app).deps
        try:
            issued = start_session(deps, user_id, _TEST_CLIENT, proof=PASSWORD_LOGIN)
            deps.uow.commit()
        except BaseException:
            deps.uow.rollback()
            raise
        return issued.token


# -- clients -------------------------------------------------------------------------


class UserCoreClient(FlaskClient):
    """A Flask test client whose calls return once the after-response work of the operation
    has run (the password-reset mail is in the outbox when ``post`` returns), as it has once
    a real server has sent the answer.

    It reads each answer whole (``buffered=True``) and closes it; pass ``buffered=False`` to
    read a streamed answer yourself (then :func:`run_after_response` when done).
    """

    #: The access token this client sends (:func:`login_client`), or None.
    token: str | None = None

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> TestResponse:
        """As :meth:`flask.testing.FlaskClient.open`, buffered (and closed) by default."""
        return super().open(*args, buffered=buffered, **kwargs)


#: The client classes made of the hosts' own (:func:`_client_class`).
_CLIENT_CLASSES: dict[type[FlaskClient], type[UserCoreClient]] = {FlaskClient: UserCoreClient}


def _client_class(base: type[FlaskClient]) -> type[UserCoreClient]:
    """:class:`UserCoreClient`'s behaviour on the host's own test client class."""
    if issubclass(base, UserCoreClient):
        return base
    if base not in _CLIENT_CLASSES:
        _CLIENT_CLASSES[base] = cast(type[UserCoreClient], type(
            f"UserCore{base.__name__}", (UserCoreClient, base), {"__module__": __name__}))
    return _CLIENT_CLASSES[base]


def client_for(app: Flask, **kwargs: Any) -> UserCoreClient:
    """A :class:`UserCoreClient` for ``app``, built on ``app.test_client_class`` when the host
    set one (its behaviour is kept)."""
    cls = _client_class(app.test_client_class or FlaskClient)
    return cls(app, app.response_class, use_cookies=True, **kwargs)


def login_client(app: Flask, user: CreatedUser | uuid.UUID, *,
                 cookie: bool = False) -> UserCoreClient:
    """A client of ``app`` logged in as ``user`` (a new session, :func:`login`).

    It sends ``Authorization: Bearer <token>`` with every request, or with ``cookie`` the
    ``x-access-token`` cookie of a ``?cookieOnly=true`` login instead, its changes marked
    ``Sec-Fetch-Site: same-origin`` as a browser marks those of the app's own pages.
    """
    client = client_for(app)
    client.token = token = login(app, user)
    if cookie:
        client.set_cookie(COOKIE_NAME, token)
        client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    else:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def finish_app(app: Flask) -> None:
    """Write the last-use times of tokens that ``app`` buffered and detach its background
    writer from the database: call it before you dispose of the app's engine or delete its
    database file (the ``usercore_app`` fixture does at its end), so that no write comes
    after."""
    usercore_state(app).deps.last_access.close()


def run_after_response(response: TestResponse) -> TestResponse:
    """Run the work ``response``'s operation left for after its answer (the password-reset
    mail), as a server does once it has sent it: close the response. For answers of a plain
    test client; a :class:`UserCoreClient` has run it already."""
    response.close()
    return response


# -- outboxes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sms:
    """A text message the app sent."""

    to: str
    text: str


class RecordingMailer:
    """A :class:`~flask_usercore.hooks.Mailer` that keeps what it is given, for a test app
    that passes ``mailer=`` (``UserCore(app, db=db, mailer=RecordingMailer())``)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


class RecordingSmsSender:
    """A :class:`~flask_usercore.hooks.SmsSender` that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[Sms] = []

    def send_sms(self, to: str, text: str) -> None:
        self.sent.append(Sms(to, text))


T = TypeVar("T", Mail, Sms)


class _Outbox(Generic[T]):
    """What an app sent since the outbox was made (or last cleared), oldest first."""

    #: What is read: a noun for messages.
    noun = "message"

    def __init__(self, read: Callable[[], list[tuple[str, T]]]) -> None:
        self._read: Callable[[], list[tuple[str, T]]] = read
        self._seen: frozenset[str] = frozenset(key for key, _ in read())

    @property
    def messages(self) -> list[T]:
        """Everything sent since this outbox was made or cleared, oldest first."""
        return [message for key, message in self._read() if key not in self._seen]

    def to(self, address: str) -> list[T]:
        """What went to ``address``, oldest first."""
        return [message for message in self.messages if message.to == address]

    def last(self, to: str | None = None) -> T:
        """The newest message (to ``to``); ``AssertionError`` when there is none."""
        found = self.messages if to is None else self.to(to)
        if not found:
            raise AssertionError(f"no {self.noun} was sent" + (f" to {to}" if to else ""))
        return found[-1]

    def clear(self) -> None:
        """Forget what was sent so far (files stay where they are)."""
        self._seen = frozenset(key for key, _ in self._read())

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[T]:
        return iter(self.messages)

    @staticmethod
    def _code(text: str, what: str) -> str:
        match = _CODE.search(text)
        if match is None:
            raise AssertionError(f"no 'code is: ...' in the {what}:\n{text}")
        return match.group(1)


class MailOutbox(_Outbox[Mail]):
    """The mails an app sent, read from its mailer: the ``.eml`` files of the file outbox
    (``USERCORE_MAIL_OUTBOX`` without ``mailer=``) or a :class:`RecordingMailer`.

    Only mails sent after the outbox was made count, so a folder shared by many tests works.
    """

    noun = "mail"

    @classmethod
    def of(cls, app: Flask) -> MailOutbox:
        """The outbox of ``app``'s mailer; ``TypeError`` for a mailer it cannot read."""
        mailer = usercore_state(app).deps.mailer
        if isinstance(mailer, RecordingMailer):
            return cls(lambda: [(str(i), mail) for i, mail in enumerate(mailer.sent)])
        if isinstance(mailer, FileOutboxMailer):
            folder = mailer.folder
            return cls(lambda: [(path.name, read_eml(path)) for path in _files(folder, "eml")])
        raise TypeError(f"the mails of a {type(mailer).__name__} cannot be read: set "
                        "USERCORE_MAIL_OUTBOX and pass no mailer= in tests, or pass "
                        "mailer=flask_usercore.testing.RecordingMailer()")

    def code(self, to: str | None = None) -> str:
        """The code of the newest mail (to ``to``): the verification code of a registration
        or address change, the token of a password reset (as the shipped texts say it:
        ``code is: ...``)."""
        return self._code(self.last(to).body, "mail")

    def links(self, to: str | None = None) -> list[str]:
        """The http(s) addresses in the text of the newest mail (to ``to``): the links of
        ``USERCORE_MAIL_LINKS``, or the API addresses under ``USERCORE_PUBLIC_URL``."""
        return _LINK.findall(self.last(to).body)


class SmsOutbox(_Outbox[Sms]):
    """The text messages an app sent, read from its SMS sender: the files of the SMS outbox
    (``USERCORE_SMS_OUTBOX`` without ``sms_sender=``) or a :class:`RecordingSmsSender`."""

    noun = "SMS"

    @classmethod
    def of(cls, app: Flask) -> SmsOutbox:
        """The outbox of ``app``'s SMS sender; ``TypeError`` for one it cannot read."""
        sender = usercore_state(app).deps.sms
        if isinstance(sender, RecordingSmsSender):
            return cls(lambda: [(str(i), sms) for i, sms in enumerate(sender.sent)])
        if isinstance(sender, FileOutboxSmsSender):
            folder = sender.folder
            return cls(lambda: [(path.name, read_sms(path)) for path in _files(folder, "txt")])
        raise TypeError(f"the messages of a {type(sender).__name__} cannot be read: set "
                        "USERCORE_SMS_OUTBOX and pass no sms_sender= in tests, or pass "
                        "sms_sender=flask_usercore.testing.RecordingSmsSender()")

    def code(self, to: str | None = None) -> str:
        """The verification code of the newest message (to ``to``)."""
        return self._code(self.last(to).text, "SMS")


def _files(folder: Path, suffix: str) -> Iterable[Path]:
    """The outbox files of ``folder`` in the order they were written (their names)."""
    return sorted(folder.glob(f"*.{suffix}")) if folder.is_dir() else []


def read_eml(path: Path) -> Mail:
    """The :class:`~flask_usercore.hooks.Mail` a ``FileOutboxMailer`` wrote to ``path``."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return Mail(to=str(message["To"]), subject=str(message["Subject"]),
                body=cast(EmailMessage, text).get_content() if text is not None else "",
                html=cast(EmailMessage, html).get_content() if html is not None else None)


def read_sms(path: Path) -> Sms:
    """The :class:`Sms` a ``FileOutboxSmsSender`` wrote to ``path``."""
    head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
    return Sms(to=head.removeprefix("To: ").strip(), text=text.rstrip("\n"))


# -- the pytest fixtures -------------------------------------------------------------


@pytest.fixture
def usercore_app(app: Flask) -> Iterator[Flask]:
    """The app under test: the host's ``app`` fixture (override this fixture to use another).
    At its end, before the host's fixture ends, :func:`finish_app`."""
    yield app
    finish_app(app)


@pytest.fixture
def usercore_client(usercore_app: Flask) -> UserCoreClient:
    """A client of the app whose calls return after the after-response work ran."""
    return client_for(usercore_app)


@pytest.fixture
def usercore_make_user(usercore_app: Flask) -> Callable[..., CreatedUser]:
    """:func:`make_user` for the app: ``usercore_make_user("ada@example.com")``."""

    def make(email: str | None = None, **kwargs: Any) -> CreatedUser:
        return make_user(usercore_app, email, **kwargs)

    return make


@pytest.fixture
def usercore_user(usercore_make_user: Callable[..., CreatedUser]) -> CreatedUser:
    """A verified user with the password :data:`DEFAULT_PASSWORD`."""
    return usercore_make_user()


@pytest.fixture
def usercore_login(usercore_app: Flask) -> Callable[..., UserCoreClient]:
    """:func:`login_client` for the app: ``usercore_login(user, cookie=False)``."""

    def log_in(user: CreatedUser | uuid.UUID, *, cookie: bool = False) -> UserCoreClient:
        return login_client(usercore_app, user, cookie=cookie)

    return log_in


@pytest.fixture
def usercore_logged_in_client(usercore_login: Callable[..., UserCoreClient],
                              usercore_user: CreatedUser) -> UserCoreClient:
    """A client logged in as ``usercore_user`` (a bearer token on every request)."""
    return usercore_login(usercore_user)


@pytest.fixture
def usercore_mail(usercore_app: Flask) -> MailOutbox:
    """The mails the app sends during the test."""
    return MailOutbox.of(usercore_app)


@pytest.fixture
def usercore_sms(usercore_app: Flask) -> SmsOutbox:
    """The text messages the app sends during the test."""
    return SmsOutbox.of(usercore_app)
