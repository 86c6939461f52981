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
from sqlalchemy import create_engine, func, select

from flask_usercore import Mail
from flask_usercore.models import OneTimeCode, User
from tests.conftest import PASSWORD, Mailbox

BODY = {"email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}, "nickname": "ada"}


class BrokenMailer:
    """A Mailer whose server is down. Before failing it looks at the database from another
    connection, to prove the request's flushed rows are not visible (not committed) yet."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.seen_from_outside: int | None = None

    def send(self, mail: Mail) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                self.seen_from_outside = connection.scalar(
                    select(func.count()).select_from(User))
        finally:
            engine.dispose()
        raise ConnectionRefusedError("smtp server is down")


def row_counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        db: SQLAlchemy = app.extensions["sqlalchemy"]
        users = db.session.scalar(select(func.count()).select_from(User))
        codes = db.session.scalar(select(func.count()).select_from(OneTimeCode))
        return int(users or 0), int(codes or 0)


def test_failing_mail_answers_500_and_stores_nothing(
        make_app: Callable[..., Flask], database_url: str) -> None:
    mailer = BrokenMailer(database_url)
    app = make_app(mailer=mailer)

    response = app.test_client().post("/v2/register", json=BODY)

    assert response.status_code == 500
    assert response.is_json
    assert response.json["type"] == "InternalServerError"
    assert "smtp" not in response.get_data(as_text=True)  # no internals on the wire
    assert mailer.seen_from_outside == 0  # the user row was flushed but not committed
    assert row_counts(app) == (0, 0)


def test_after_a_failed_mail_the_address_and_nickname_are_free(
        make_app: Callable[..., Flask], database_url: str, mailbox: Mailbox) -> None:
    broken = make_app(mailer=BrokenMailer(database_url))
    assert broken.test_client().post("/v2/register", json=BODY).status_code == 500

    working = make_app()  # the same database, the recording mailbox
    response = working.test_client().post("/v2/register", json=BODY)

    assert response.status_code == 201, response.json
    assert row_counts(working) == (1, 1)
    assert [m.to for m in mailbox.sent] == [BODY["email"]]


def test_rejected_registration_writes_nothing(
        register: Callable[..., dict[str, Any]], app: Flask, client: FlaskClient) -> None:
    register("ada@example.com", nickname="ada")
    response = client.post("/v2/register", json={**BODY, "email": "other@example.com",
                                                 "nickname": "ADA"})

    assert response.status_code == 400
    assert [e["type"] for e in response.json["validationErrors"]] == ["NicknameInUse"]
    assert row_counts(app) == (1, 1)
