"""The transactional outbox: mail and SMS written in the operation's transaction, sent after
the commit, retried by ``flask usercore deliver`` with backoff until they go or expire, never
sent twice for one row; a process that dies between the commit and the send loses nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from flask_usercore import Mail, signals
from flask_usercore.hooks import recipient_ref
from flask_usercore.models import OutboxMessage, utcnow
from flask_usercore.services import outbox
from flask_usercore.services.outbox import DeliveryExpired, deliver_due, retry_delay
from tests.conftest import PASSWORD, Mailbox

REGISTRATION = {"email": "ada@example.com", "password": PASSWORD,
                "person": {"firstName": "Ada", "lastName": "Lovelace"}}


class FlakyMailer(Mailbox):
    """A mailbox whose server can be down."""

    down = False

    def send(self, mail: Mail) -> None:
        if self.down:
            raise ConnectionRefusedError("the mail server is down")
        super().send(mail)


def rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        found = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))
        session.expunge_all()
        return found


def deliver(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["usercore", "deliver", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output


class Clock:
    """Moves the services' clock of an app."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def failures(app_flaky: Flask) -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Flask, **extra: Any) -> None:
        seen.append(extra)

    signals.delivery_failed.connect(receiver, sender=app_flaky)
    yield seen
    signals.delivery_failed.disconnect(receiver, sender=app_flaky)


@pytest.fixture
def flaky() -> FlakyMailer:
    return FlakyMailer()


@pytest.fixture
def app_flaky(make_app: Callable[..., Flask], flaky: FlakyMailer) -> Flask:
    return make_app(mailer=flaky)


def test_a_mail_is_sent_after_the_commit_and_its_row_deleted(app: Flask,
                                                             mailbox: Mailbox) -> None:
    response = app.test_client().post("/v2/register", json=REGISTRATION)
    assert response.status_code == 201
    assert [m.to for m in mailbox.sent] == ["ada@example.com"]
    assert rows(app) == []  # kept only until sent


def test_a_refused_operation_writes_no_message(app: Flask, mailbox: Mailbox) -> None:
    assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    again = app.test_client().post("/v2/register", json=REGISTRATION)  # address in use
    assert again.status_code == 400
    assert len(mailbox.sent) == 1 and rows(app) == []


def test_the_row_is_encrypted_and_names_no_address(app: Flask, mailbox: Mailbox,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "dispatch", lambda *args: None)  # never sent
    assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    [row] = rows(app)
    assert mailbox.sent == []
    assert row.kind == "mail" and row.recipient_ref == recipient_ref("ada@example.com")
    assert "ada@example.com" not in row.payload and "code is" not in row.payload
    # written claimed by the request's process, which sends it after the commit
    assert row.attempts == 1 and row.due_at - row.created_at == dt.timedelta(seconds=60)
    assert row.expires_at - row.created_at == dt.timedelta(days=1)


def test_a_process_that_died_before_the_send_loses_nothing(
        app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:  # the process "dies" after the commit
        patch.setattr(outbox, "dispatch", lambda *args: None)
        assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    assert mailbox.sent == []
    assert "sent 0, failed 0" in deliver(app)  # still claimed by the dead process
    Clock(app, monkeypatch).advance(60)
    assert "sent 1, failed 0" in deliver(app)
    [mail] = mailbox.sent
    assert mail.to == "ada@example.com" and "code is:" in mail.body
    assert rows(app) == []
    assert "sent 0, failed 0" in deliver(app)  # never twice
    assert len(mailbox.sent) == 1


def test_a_process_killed_in_the_send_is_retried_once_the_claim_runs_out(
        database_url: str, _schema: None, tmp_path: Path, make_app: Callable[..., Flask],
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real process: it commits the registration, claims its mail and dies (``os._exit``)
    in the middle of the send."""
    script = tmp_path / "dies.py"
    script.write_text(textwrap.dedent(f"""
        import os
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy
        from flask_usercore import UserCore
        from tests.conftest import FAST_ARGON2

        class DyingMailer:
            def send(self, mail):
                os._exit(7)

        app = Flask("dies")
        app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef",
                          SQLALCHEMY_DATABASE_URI={database_url!r}, **FAST_ARGON2)
        UserCore(app, db=SQLAlchemy(app), mailer=DyingMailer())
        app.test_client().post("/v2/register", json={REGISTRATION!r})
        raise SystemExit("the mailer was never called")
    """))
    app = make_app()
    root = str(Path(__file__).parents[2])
    died = subprocess.run([sys.executable, str(script)], cwd=root,
                          env={**os.environ, "PYTHONPATH": root}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert died.returncode == 7, died.stderr
    [row] = rows(app)
    assert row.attempts == 1  # it was claimed: no other delivery sends it meanwhile
    assert "sent 0, failed 0" in deliver(app)
    clock = Clock(app, monkeypatch)
    clock.advance(61)  # the claim (USERCORE_DELIVERY_RETRY_SECONDS) has run out
    assert "sent 1, failed 0" in deliver(app)
    assert [m.to for m in mailbox.sent] == ["ada@example.com"] and rows(app) == []


def test_a_failed_mail_is_retried_with_backoff_and_a_resend_is_kept(
        app_flaky: Flask, flaky: FlakyMailer, failures: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(app_flaky, monkeypatch)
    flaky.down = True
    client = app_flaky.test_client()
    registered = client.post("/v2/register", json=REGISTRATION)
    assert registered.status_code == 201
    resent = client.post("/v2/users/self/credentials/email/actions/resend-email", json={
        "email": "ada@example.com", "userId": registered.json["userId"]})
    assert resent.status_code == 204  # true now: the mail waits in the outbox
    assert len(rows(app_flaky)) == 2
    assert [(f["attempts"], f["final"], type(f["error"]).__name__, f["mail"].to)
            for f in failures] == [(1, False, "ConnectionRefusedError", "ada@example.com")] * 2
    assert failures[0]["recipient_ref"] == recipient_ref("ada@example.com")
    assert "ada@example.com" not in caplog.text
    assert "the mail server is down" not in caplog.text

    assert "sent 0, failed 0" in deliver(app_flaky)  # not due before the retry delay
    clock.advance(60)
    assert "sent 0, failed 2" in deliver(app_flaky)
    assert {row.attempts for row in rows(app_flaky)} == {2}
    assert {row.last_error for row in rows(app_flaky)} == {"ConnectionRefusedError"}
    clock.advance(60)
    assert "sent 0, failed 0" in deliver(app_flaky)  # the delay doubled: 120 s
    flaky.down = False
    clock.advance(60)
    assert "sent 2, failed 0" in deliver(app_flaky)
    assert len(flaky.sent) == 2 and rows(app_flaky) == []
    # the resent code (the second message) is the one that works
    resent_code = failures[1]["mail"].body.split("code is: ")[1].split()[0]
    assert resent_code in [mail.body.split("code is: ")[1].split()[0] for mail in flaky.sent]
    verified = client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": registered.json["userId"],
        "token": resent_code})
    assert verified.status_code == 200


def test_the_retry_delay_doubles_up_to_an_hour(app: Flask) -> None:
    deps = app.extensions["usercore"].deps
    assert [retry_delay(deps, n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        60, 120, 240, 3600, 3600, 3600]


def test_a_message_that_cannot_go_before_it_expires_is_dropped_and_signalled(
        make_app: Callable[..., Flask], flaky: FlakyMailer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app({"USERCORE_DELIVERY_TTL": 150}, mailer=flaky)
    seen: list[dict[str, Any]] = []
    clock = Clock(app, monkeypatch)
    flaky.down = True
    with signals.delivery_failed.connected_to(lambda sender, **extra: seen.append(extra),
                                              sender=app):
        assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
        clock.advance(60)
        deliver(app)  # attempt 2 fails; the next would come after the expiry: given up
        assert rows(app) == []
    assert [(f["attempts"], f["final"]) for f in seen] == [(1, False), (2, True)]


def test_an_expired_message_nobody_tried_is_dropped(
        app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "dispatch", lambda *args: None)
        assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    clock = Clock(app, monkeypatch)
    clock.advance(24 * 3600)
    seen: list[dict[str, Any]] = []
    with signals.delivery_failed.connected_to(lambda sender, **extra: seen.append(extra),
                                              sender=app):
        assert "dropped 1 expired" in deliver(app)
    assert mailbox.sent == [] and rows(app) == []
    [failure] = seen
    assert failure["final"] and isinstance(failure["error"], DeliveryExpired)
    assert failure["mail"].to == "ada@example.com"


def test_the_password_reset_mail_goes_through_the_outbox(
        app_flaky: Flask, flaky: FlakyMailer, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(app_flaky, monkeypatch)
    client = app_flaky.test_client()
    assert client.post("/v2/register", json=REGISTRATION).status_code == 201
    client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": rows_user_id(app_flaky),
        "token": flaky.last_code("ada@example.com")})
    flaky.down = True
    response = client.post("/v2/users/self/credentials/actions/init-password-reset",
                           json={"email": "ada@example.com"})
    assert response.status_code == 201
    response.close()  # the work after the response
    assert len(rows(app_flaky)) == 1
    flaky.down = False
    clock.advance(60)
    assert "sent 1, failed 0" in deliver(app_flaky)
    assert flaky.sent[-1].subject and "code is:" in flaky.sent[-1].body


def rows_user_id(app: Flask) -> str:
    from flask_usercore.models import User

    with app.app_context():
        return str(app.extensions["usercore"].deps.session.scalar(select(User.id)))


def test_a_failed_sms_is_retried(make_app: Callable[..., Flask], mailbox: Mailbox,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    class FlakySms:
        def __init__(self) -> None:
            self.down = True
            self.sent: list[tuple[str, str]] = []

        def send_sms(self, to: str, text: str) -> None:
            if self.down:
                raise TimeoutError("gateway")
            self.sent.append((to, text))

    from tests.api.resource_helpers import signed_in

    sms = FlakySms()
    app = make_app({"USERCORE_SMS_RATELIMIT": ""}, sms_sender=sms)
    clock = Clock(app, monkeypatch)
    client = app.test_client()
    headers = signed_in(client, mailbox)
    added = client.post("/v2/users/self/phone", json={"phoneNumber": "+491701234567"},
                        headers=headers)
    assert added.status_code == 204
    [row] = rows(app)
    assert row.kind == "sms" and row.last_error == "TimeoutError"
    sms.down = False
    clock.advance(60)
    assert "sent 1, failed 0" in deliver(app)
    [(to, text)] = sms.sent
    assert to == "+491701234567" and text.startswith("Your verification code is: ")


def test_concurrent_deliveries_send_every_row_once(
        app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "dispatch", lambda *args: None)
    deps = app.extensions["usercore"].deps
    count = 40
    with app.app_context():
        for n in range(count):
            outbox.enqueue_mail(deps, Mail(to=f"user{n}@example.com", subject="s", body="b\n"))
        deps.uow.commit()
    Clock(app, monkeypatch).advance(60)  # the writer's claim ran out: any delivery may
    lock = threading.Lock()
    sent: Counter[str] = Counter()

    class CountingMailer:
        def send(self, mail: Mail) -> None:
            with lock:
                sent[mail.to] += 1

    object.__setattr__(deps, "mailer", CountingMailer())  # this test's app only
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                for _ in range(50):
                    report = deliver_due(deps, batch=3)
                    if not report.sent and not remaining(app):
                        break
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(sent) == count and set(sent.values()) == {1}
    assert remaining(app) == 0


def remaining(app: Flask) -> int:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        value = session.scalar(select(func.count()).select_from(OutboxMessage))
        session.rollback()
        return int(value or 0)


def test_the_deliver_loop_runs_until_sigterm(app: Flask, mailbox: Mailbox,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "dispatch", lambda *args: None)
    assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201

    class StoppingMailer(Mailbox):
        def send(self, mail: Mail) -> None:
            super().send(mail)
            os.kill(os.getpid(), signal.SIGTERM)  # the service manager stops the loop

    stopping = StoppingMailer()
    object.__setattr__(app.extensions["usercore"].deps, "mailer", stopping)
    before = signal.getsignal(signal.SIGTERM)
    result = app.test_cli_runner().invoke(args=["usercore", "deliver", "--loop",
                                                "--interval", "30"])
    assert result.exit_code == 0, result.output  # at once: no 30 s wait after SIGTERM
    assert result.output.count("sent 1") == 1 and len(stopping.sent) == 1
    assert signal.getsignal(signal.SIGTERM) is before and rows(app) == []


def test_the_file_outbox_is_private_and_a_full_disk_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_usercore import FileOutboxMailer, FileOutboxSmsSender, hooks

    old = os.umask(0o022)
    try:
        FileOutboxMailer(tmp_path / "mail").send(Mail(to="a@example.com", subject="s",
                                                      body="code is: 1\n"))
        FileOutboxSmsSender(tmp_path / "sms").send_sms("+491701234567", "code is: 1")
    finally:
        os.umask(old)
    [eml] = (tmp_path / "mail").iterdir()
    [txt] = (tmp_path / "sms").iterdir()
    assert (eml.stat().st_mode & 0o777, txt.stat().st_mode & 0o777) == (0o600, 0o600)

    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hooks, "_write_all", half_then_full)
    with pytest.raises(OSError, match="No space"):
        FileOutboxMailer(tmp_path / "full").send(Mail(to="a@example.com", subject="s",
                                                      body="b\n"))
    assert list((tmp_path / "full").iterdir()) == []  # no 0-byte .eml, no .part

