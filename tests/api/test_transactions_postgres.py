"""Nothing half-written: a request that fails after its rows were flushed leaves no trace.

These run on SQLite and on PostgreSQL (``.ci/run`` runs the suite on both); the point is that
the rows the request had already sent to the database are rolled back, not only that the
answer is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, event, func, select

from flask_usercore import Mail
from flask_usercore.models import OneTimeCode, User
from tests.conftest import PASSWORD, Mailbox

BODY = {"email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}, "nickname": "ada"}


class PeekingMailer(Mailbox):
    """A Mailer that, before it records a mail, looks at the database from another
    connection: what it sees is what was committed when the mail went out."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.database_url = database_url
        self.seen_from_outside: list[int] = []

    def send(self, mail: Mail) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                self.seen_from_outside.append(int(connection.scalar(
                    select(func.count()).select_from(User)) or 0))
        finally:
            engine.dispose()
        super().send(mail)


def row_counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        db: SQLAlchemy = app.extensions["sqlalchemy"]
        users = db.session.scalar(select(func.count()).select_from(User))
        codes = db.session.scalar(select(func.count()).select_from(OneTimeCode))
        return int(users or 0), int(codes or 0)


def test_the_mail_goes_out_after_the_commit(make_app: Callable[..., Flask],
                                            database_url: str) -> None:
    mailer = PeekingMailer(database_url)
    app = make_app(mailer=mailer)

    response = app.test_client().post("/v2/register", json=BODY)

    assert response.status_code == 201
    assert mailer.seen_from_outside == [1]  # the account was committed before the mail left
    assert [m.to for m in mailer.sent] == [BODY["email"]]


def test_a_failing_commit_stores_nothing_and_mails_nothing(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    app = make_app()
    db: SQLAlchemy = app.extensions["sqlalchemy"]

    def refuse(session: Any) -> None:
        raise OSError("disk full")

    event.listen(db.session, "before_commit", refuse)
    try:
        response = app.test_client().post("/v2/register", json=BODY)
    finally:
        event.remove(db.session, "before_commit", refuse)

    assert response.status_code == 500
    assert response.json["type"] == "InternalServerError"
    assert mailbox.sent == []
    assert row_counts(app) == (0, 0)
    # the address and nickname are free
    assert app.test_client().post("/v2/register", json=BODY).status_code == 201
    assert [m.to for m in mailbox.sent] == [BODY["email"]]


def test_rejected_registration_writes_nothing(
        register: Callable[..., dict[str, Any]], app: Flask, client: FlaskClient) -> None:
    register("ada@example.com", nickname="ada")
    response = client.post("/v2/register", json={**BODY, "email": "other@example.com",
                                                 "nickname": "ADA"})

    assert response.status_code == 400
    assert [e["type"] for e in response.json["validationErrors"]] == ["NicknameInUse"]
    assert row_counts(app) == (1, 1)
