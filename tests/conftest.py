"""Fixtures shared by every test layer: app, db, client, mailbox and a few users.

The database is SQLite (a temporary file) unless ``USERCORE_TEST_DATABASE_URL`` names
another one, e.g. ``postgresql+psycopg://usercore@127.0.0.1:55432/usercore`` in ``.ci/run``.
The schema is migrated once per session; every test starts with empty tables.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import delete

from flask_usercore import Mail, UserCore
from flask_usercore.models import Base, MfaSecret, utcnow
from tests.contract.validation import ContractClient

PASSWORD = "correct horse battery staple 9"
#: Cheap argon2 parameters: tests only (the defaults are OWASP's). Rate limits are off
#: unless a test turns them on (tests/api/test_rate_limits.py).
FAST_ARGON2 = {"USERCORE_ARGON2_TIME_COST": 1, "USERCORE_ARGON2_MEMORY_COST": 64,
               "USERCORE_ARGON2_PARALLELISM": 1, "USERCORE_RATELIMIT_AUTH": ""}


class Mailbox:
    """A Mailer that keeps what it sends, for tests to read codes from."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)

    def last_code(self, to: str | None = None) -> str:
        mails = [m for m in self.sent if to is None or m.to == to]
        match = re.search(r"code is: (\w+)", mails[-1].body)
        assert match, mails[-1].body
        return match.group(1)


def enable_mfa(app: Flask, user_id: str, *, confirmed: bool = True) -> str:
    """Give the user a TOTP secret (confirmed: MFA active); returns the secret."""
    secret = pyotp.random_base32()
    state = app.extensions["usercore"]
    with app.app_context():
        state.core.db.session.add(MfaSecret(
            user_id=uuid.UUID(user_id), secret_encrypted=state.deps.box.encrypt(secret),
            confirmed_at=utcnow() if confirmed else None))
        state.core.db.session.commit()
    return secret


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("USERCORE_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'usercore.db'}"


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[None]:
    """The schema, made by the library's own migrations (as a host makes it)."""
    from alembic import command
    from sqlalchemy import MetaData, Table, create_engine

    from flask_usercore.migrations import VERSION_TABLE, alembic_config

    def reset(connection: Any) -> None:
        Base.metadata.drop_all(connection)
        Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)

    engine = create_engine(database_url)
    with engine.begin() as connection:
        reset(connection)
        command.upgrade(alembic_config(connection), "head")
    yield
    with engine.begin() as connection:
        reset(connection)
    engine.dispose()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def make_app(database_url: str, _schema: None, mailbox: Mailbox,
             tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app with the test defaults plus ``config`` (``before_init(app)`` runs just
    before ``init_app``); tables are emptied afterwards."""
    apps: list[tuple[Flask, SQLAlchemy]] = []

    def factory(config: dict[str, Any] | None = None, *,
                before_init: Callable[[Flask], object] | None = None,
                **core_kwargs: Any) -> Flask:
        app = Flask("usercore_test")
        # Every test client checks every response against mittwald's OpenAPI document.
        app.test_client_class = ContractClient
        app.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", TESTING=True,
                          SQLALCHEMY_DATABASE_URI=database_url, **FAST_ARGON2)
        app.config.update(config or {})
        db = SQLAlchemy(app)
        if before_init is not None:  # e.g. register_policy(..., app=app)
            before_init(app)
        core_kwargs.setdefault("mailer", mailbox)
        UserCore(app, db=db, **core_kwargs)
        apps.append((app, db))
        return app

    yield factory
    for app, db in apps:
        # the buffered last-use times now: the background flusher must not open a connection
        # on this engine after it was disposed (a leaked connection fails a later test)
        app.extensions["usercore"].deps.last_access.close()
        with app.app_context():
            db.session.rollback()
            for table in reversed(Base.metadata.sorted_tables):
                db.session.execute(delete(table))
            db.session.commit()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that checks every response against mittwald's OpenAPI document."""
    return app.test_client()


@pytest.fixture
def register(client: FlaskClient, mailbox: Mailbox) -> Callable[..., dict[str, Any]]:
    """Register (and by default verify) a user through the API; returns its facts."""

    def do(email: str = "ada@example.com", *, verify: bool = True,
           password: str = PASSWORD, **profile: Any) -> dict[str, Any]:
        body = {"email": email, "password": password,
                "person": {"firstName": "Ada", "lastName": "Lovelace"}, **profile}
        response = client.post("/v2/register", json=body)
        assert response.status_code == 201, response.json
        user_id = response.json["userId"]
        if verify:
            verified = client.post("/v2/verify-registration", json={
                "email": email, "userId": user_id, "token": mailbox.last_code(email)})
            assert verified.status_code == 200, verified.json
        return {"userId": user_id, "email": email, "password": password}

    return do


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., str]:
    """Log in and return the access token."""

    def do(email: str = "ada@example.com", password: str = PASSWORD) -> str:
        response = client.post("/v2/authenticate", json={"email": email, "password": password})
        assert response.status_code == 200, response.json
        token: str = response.json["token"]
        return token

    return do


@pytest.fixture
def user(register: Callable[..., dict[str, Any]], login: Callable[..., str]) -> dict[str, Any]:
    """A verified, logged-in user: ``{userId, email, password, token, headers}``."""
    facts = register()
    token = login(facts["email"])
    return {**facts, "token": token, "headers": {"Authorization": f"Bearer {token}"}}
