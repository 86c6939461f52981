"""The mail templates: a text and an HTML part, escaping, and overrides by the host."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import UserCore
from flask_usercore.mail import MailRenderer, oneline
from tests.conftest import FAST_ARGON2, Mailbox


class Person:
    id = "0b0b0b0b-0000-4000-8000-000000000000"
    email = "ada@example.com"

    def __init__(self, first_name: str) -> None:
        self.first_name = first_name


def renderer(app: Flask) -> MailRenderer:
    renderer: MailRenderer = app.extensions["usercore"].deps.mails
    return renderer


def test_registration_mail_has_text_and_html(app: Flask) -> None:
    mail = renderer(app).render("registration", "ada@example.com", user=Person("Ada"),
                                code="12345678")
    assert mail.subject == "Verify your registration"
    assert "your verification code is: 12345678" in mail.body
    assert mail.html is not None and "<strong" in mail.html and "12345678" in mail.html


def test_names_are_escaped_in_html_and_stay_on_one_line_in_text(app: Flask) -> None:
    hostile = 'Ada<script>alert(1)</script>\r\nBcc: victim@example.com'
    mail = renderer(app).render("registration", "ada@example.com", user=Person(hostile),
                                code="12345678")
    assert mail.html is not None
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    first_line = mail.body.splitlines()[0]
    assert first_line == "Hello Ada<script>alert(1)</script> Bcc: victim@example.com,"


@pytest.mark.parametrize(("value", "expected"), [
    ("a\nb", "a b"), ("a\r\n\r\nb", "a b"), ("a\u2028b", "a b"), ("  a\x00 ", "a")])
def test_oneline(value: str, expected: str) -> None:
    assert oneline(value) == expected


def test_a_host_overrides_a_template(database_url: str, _schema: None, tmp_path: Path,
                                     mailbox: Mailbox) -> None:
    folder = tmp_path / "templates" / "usercore" / "mail"
    folder.mkdir(parents=True)
    (folder / "registration.subject.txt").write_text("Welcome to Host Inc.")
    (folder / "registration.txt").write_text("Hi {{ user.first_name }}, code is: {{ code }}")
    app = Flask("host", template_folder=str(tmp_path / "templates"))
    app.config.update(SECRET_KEY="host-secret-0123456789abcdef",
                      SQLALCHEMY_DATABASE_URI=database_url, **FAST_ARGON2)
    db = SQLAlchemy(app)
    UserCore(app, db=db, mailer=mailbox)
    try:
        response = app.test_client().post("/v2/register", json={
            "email": "ada@example.com", "password": "correct horse battery staple 9",
            "person": {"firstName": "Ada", "lastName": "Lovelace"}})
        assert response.status_code == 201
        [mail] = mailbox.sent
        assert mail.subject == "Welcome to Host Inc."
        assert mail.body.startswith("Hi Ada, code is: ")
        assert mail.html is not None and "<strong" in mail.html  # not overridden: ours
    finally:
        with app.app_context():
            from sqlalchemy import delete

            from flask_usercore.models import Base
            for table in reversed(Base.metadata.sorted_tables):
                db.session.execute(delete(table))
            db.session.commit()
            db.engine.dispose()


