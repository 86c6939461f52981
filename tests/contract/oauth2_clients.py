"""The OAuth2 contract tests' shared parts: example_app served without OAuth2 rate limits, a
second instance of it as an admin's shell, and registering a client through the CLI.

Import the fixtures into a test module (``from tests.contract.oauth2_clients import admin,
outbox, served``) to use them there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from example_app import create_app, db
from tests.conftest import FAST_ARGON2
from tests.contract.served import Served, serve

REDIRECT_URI = "http://127.0.0.1:9/callback"
NO_LIMITS = {"USERCORE_OAUTH2_RATELIMIT": ""}


@contextmanager
def admin_app(database_url: str, outbox: Path, **config: Any) -> Iterator[Flask]:
    """A second instance of the host app on the same database, as an admin's shell; its
    connections are closed afterwards."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                      "USERCORE_MAIL_OUTBOX": str(outbox),
                      "SECRET_KEY": "contract-test-secret-0123456789abcdef", **FAST_ARGON2,
                      **config})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def register_client(app: Flask, *args: str) -> dict[str, Any]:
    """``flask usercore create-oauth-client --json ...``"""
    result = app.test_cli_runner().invoke(args=[
        "usercore", "create-oauth-client", "--name", "Authlib", "--redirect-uri",
        REDIRECT_URI, "--json", *args])
    assert result.exit_code == 0, result.output
    facts: dict[str, Any] = json.loads(result.output)
    return facts


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture(scope="module")
def served(database_url: str, _schema: None, outbox: Path) -> Iterator[Served]:
    with serve(database_url, outbox, **NO_LIMITS) as running:
        yield running


@pytest.fixture(scope="module")
def admin(database_url: str, outbox: Path, served: Served) -> Iterator[Flask]:
    with admin_app(database_url, outbox, **NO_LIMITS) as app:
        yield app
