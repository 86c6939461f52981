"""hooks.FileOutboxMailer: every mail becomes a parseable .eml file in the folder."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from flask_usercore import FileOutboxMailer, Mail
from flask_usercore.commands.registration import Person, Register
from flask_usercore.services import registration
from flask_usercore.services.context import commit


def read_mails(folder: Path) -> list[Any]:
    files = sorted(folder.glob("*.eml"))
    assert sorted(folder.iterdir()) == files  # nothing else is written
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
            for f in files]


def test_writes_a_parseable_eml(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "nested"  # created on first use
    mailer = FileOutboxMailer(folder, sender="usercore@example.com")
    mailer.send(Mail(to="ada@example.com", subject="Verify your registration",
                     body="Hello Ada,\n\nyour verification code is: 12345678\n"))
    [message] = read_mails(folder)
    assert message["From"] == "usercore@example.com"
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Verify your registration"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Hello Ada,\n\nyour verification code is: 12345678\n"


def test_raw_bytes_parse_without_a_policy(tmp_path: Path) -> None:
    FileOutboxMailer(tmp_path).send(Mail(to="ada@example.com", subject="Hi", body="Body\n"))
    [path] = tmp_path.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "ada@example.com"
    assert message["From"] == "no-reply@localhost"
    assert message.get_payload(decode=True) == b"Body\n"


def test_non_ascii_subject_and_body_round_trip(tmp_path: Path) -> None:
    FileOutboxMailer(tmp_path).send(Mail(to="jürgen@example.com", subject="Grüße ✓",
                                         body="Schöne Grüße, Jürgen\n"))
    [message] = read_mails(tmp_path)
    assert message["Subject"] == "Grüße ✓"
    assert message["To"] == "jürgen@example.com"
    assert message.get_content() == "Schöne Grüße, Jürgen\n"


def test_every_mail_gets_its_own_file(tmp_path: Path) -> None:
    mailer = FileOutboxMailer(str(tmp_path))
    for n in range(3):
        mailer.send(Mail(to=f"user{n}@example.com", subject=f"Mail {n}", body="x\n"))
    assert sorted(m["Subject"] for m in read_mails(tmp_path)) == ["Mail 0", "Mail 1", "Mail 2"]


def test_configured_outbox_receives_the_registration_mail(make_app: Callable[..., Flask],
                                                          tmp_path: Path) -> None:
    app = make_app({"USERCORE_MAIL_OUTBOX": str(tmp_path), "USERCORE_MAIL_SENDER": "me@host.test"},
                   mailer=None)
    with app.app_context():
        deps = app.extensions["usercore"].deps
        assert isinstance(deps.mailer, FileOutboxMailer)
        user = registration.register(deps, Register("ada@example.com",
                                                     "correct horse battery staple 9",
                                                     Person("Ada", "Lovelace")))
        user_id = str(user.id)
        assert read_mails(tmp_path) == []  # sent after the commit
        commit(deps.session)
    [message] = read_mails(tmp_path)
    assert message["From"] == "me@host.test"
    assert message["To"] == "ada@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert user_id in message.get_body(("plain",)).get_content()
    assert "<strong" in message.get_body(("html",)).get_content()


def test_an_html_alternative_is_written_beside_the_text(tmp_path: Path) -> None:
    FileOutboxMailer(tmp_path).send(Mail(to="ada@example.com", subject="Hi", body="Text\n",
                                         html="<p>Html</p>\n"))
    [message] = read_mails(tmp_path)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == "Text\n"
    assert message.get_body(("html",)).get_content() == "<p>Html</p>\n"
