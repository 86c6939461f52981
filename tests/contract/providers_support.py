"""A real OpenID provider for the sign-in-by-provider tests: a second example_app (our own
authorization server, code + PKCE, ID tokens signed with a fresh RSA key) on its own SQLite
database, served over a socket; the relying example_app served on another socket (as
``localhost``, so that the two never share cookies), its app swappable per test; and a
``requests`` browser that follows the redirects and fills the provider's forms."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyotp
import requests
from flask import Flask
from joserfc.jwk import RSAKey
from sqlalchemy import delete
from werkzeug.serving import make_server

from example_app import create_app, db
from flask_usercore.models import Base, MfaSecret, User, utcnow
from tests.conftest import FAST_ARGON2, PASSWORD

CALLBACK = "/v2/providers/ours/callback"


@contextmanager
def served(app: Callable[..., Any]) -> Iterator[int]:
    """``app`` on a free port of 127.0.0.1 until the block ends: the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Swappable:
    """A WSGI app that calls the app of the moment (one relying app per test, one port)."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class Provider:
    app: Flask
    base_url: str
    client_id: str
    client_secret: str

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/v2"


@contextmanager
def provider(tmp: Path, redirect_uri: str) -> Iterator[Provider]:
    """The provider (its own SQLite database) with a confidential client registered for
    ``redirect_uri`` (scopes openid, profile, email)."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'provider.db'}",
        "USERCORE_MAIL_OUTBOX": str(tmp / "provider-outbox"), **FAST_ARGON2,
        "SECRET_KEY": "provider-secret-0123456789abcdef", "USERCORE_OAUTH2_RATELIMIT": "",
        "USERCORE_OAUTH2_JWT_KEY": RSAKey.generate_key(2048).as_pem(private=True).decode()})
    with app.app_context():
        Base.metadata.create_all(db.engine)
    client_id, client_secret = register_client(app, redirect_uri)
    try:
        with served(app) as port:
            yield Provider(app, f"http://127.0.0.1:{port}", client_id, client_secret)
    finally:
        app.extensions["usercore"].deps.last_access.close()
        with app.app_context():
            db.engine.dispose()


def register_client(app: Flask, redirect_uri: str,
                    name: str = "Relying example_app") -> tuple[str, str]:
    """A confidential client registered at the provider ``app`` (scopes openid, profile,
    email): its id and secret."""
    result = app.test_cli_runner().invoke(args=[
        "usercore", "create-oauth-client", "--name", name, "--redirect-uri", redirect_uri,
        "--scope", "openid", "--scope", "profile", "--scope", "email", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    return facts["client_id"], facts["client_secret"]


def relying_app(database_url: str, tmp: Path, found: Provider, config: dict[str, Any],
                **options: Any) -> Flask:
    """The relying example_app with the provider ``ours`` (``options``: its flags) and
    ``config``."""
    return create_app({**config,
        "SQLALCHEMY_DATABASE_URI": database_url, "USERCORE_MAIL_OUTBOX": str(tmp / "outbox"),
        "SECRET_KEY": "relying-secret-0123456789abcdef", **FAST_ARGON2,
        "USERCORE_PROVIDERS": {"ours": {"issuer": found.issuer, "client_id": found.client_id,
                                        "client_secret": found.client_secret,
                                        "title": "Our provider", **options}}})


def empty_tables(app: Flask) -> None:
    app.extensions["usercore"].deps.last_access.close()
    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()
        db.engine.dispose()


def add_user(app: Flask, email: str, *, mfa: bool = False, disabled: bool = False,
             password: str = PASSWORD) -> tuple[uuid.UUID, str | None]:
    """A verified account on ``app``'s database: its id and, with ``mfa``, its TOTP seed."""
    deps = app.extensions["usercore"].deps
    with app.app_context():
        user = User(email=email, password_hash=deps.hasher.hash(password), first_name="Grace",
                    last_name="Hopper", email_verified_at=utcnow(),
                    disabled_at=utcnow() if disabled else None)
        db.session.add(user)
        db.session.flush()
        seed = None
        if mfa:
            seed = pyotp.random_base32()
            db.session.add(MfaSecret(user_id=user.id, secret_encrypted=deps.box.encrypt(seed),
                                     confirmed_at=utcnow()))
        db.session.commit()
        return user.id, seed


def _form(page: requests.Response) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text)[1])  # type: ignore[index]
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text)[1]  # type: ignore[index]
    return urljoin(page.url, action), {"csrf_token": csrf}


def through_provider(browser: requests.Session, start: str, email: str, *,
                     decision: str = "allow") -> requests.Response:
    """Open ``start`` and go through the provider's login and consent pages as a person
    would (following every redirect); the relying app's last answer."""
    return answer_provider(browser, browser.get(start), email, decision=decision)


def answer_provider(browser: requests.Session, page: requests.Response, email: str, *,
                    decision: str = "allow") -> requests.Response:
    """From ``page`` (where a started flow led), through the provider's login and consent
    pages as a person would; the relying app's last answer."""
    for _ in range(3):
        if 'id="login-form"' in page.text:
            action, fields = _form(page)
            page = browser.post(action, data={**fields, "email": email,
                                              "password": PASSWORD})
        elif 'id="consent-form"' in page.text:
            action, fields = _form(page)
            page = browser.post(action, data={**fields, "decision": decision})
        else:
            break
    return page
