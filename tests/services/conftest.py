"""Fixtures for calling the services directly: ``deps`` inside an app context, a clock, users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from flask_usercore.commands.registration import Person, Register
from flask_usercore.models import MfaSecret, RecoveryCode, User, utcnow
from flask_usercore.security import totp
from flask_usercore.security.codes import hash_code, normalize_recovery_code
from flask_usercore.services import authentication, mfa, registration
from flask_usercore.services.context import Auth, ClientInfo, Deps, commit

SERVICE_PASSWORD = "correct horse battery staple 9"


class Clock:
    """A settable source of ``deps.clock`` (timezone-aware UTC)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def deps(app: Flask) -> Iterator[Deps]:
    """The services' collaborators, with an app context pushed for the test."""
    with app.app_context():
        yield app.extensions["usercore"].deps


@pytest.fixture
def clock(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the services' clock (``deps.clock``) at the current time; move it with
    ``advance``."""
    frozen = Clock(utcnow())
    monkeypatch.setattr(deps.clock, "source", frozen)
    return frozen


@pytest.fixture
def make_user(deps: Deps) -> Callable[..., User]:
    """Store a verified (by default) user through ``create_user``."""

    def make(email: str = "ada@example.com", *, verified: bool = True,
             password: str = SERVICE_PASSWORD, first_name: str = "Ada",
             last_name: str = "Lovelace", **profile: Any) -> User:
        user = registration.create_user(
            deps, Register(email, password, Person(first_name, last_name), **profile),
            verified_at=utcnow() if verified else None)
        commit(deps.session)
        return user

    return make


@pytest.fixture
def sign_in(deps: Deps) -> Callable[..., Auth]:
    """Log ``user`` in and resolve the new access token, as a request would."""

    def do(user: User, password: str = SERVICE_PASSWORD) -> Auth:
        issued = authentication.authenticate(deps, user.email, password, ClientInfo())
        commit(deps.session)
        auth = authentication.resolve_token(deps, issued.token)
        assert auth is not None
        return auth

    return do


@pytest.fixture
def enable_mfa(deps: Deps) -> Callable[..., str]:
    """Give ``user`` a confirmed TOTP secret (returned) and the given recovery codes."""

    def enable(user: User, recovery_codes: tuple[str, ...] = (), *,
               confirmed: bool = True) -> str:
        secret = totp.new_secret()
        deps.session.add(MfaSecret(user_id=user.id, secret_encrypted=deps.box.encrypt(secret),
                                   confirmed_at=utcnow() if confirmed else None))
        for code in recovery_codes:
            deps.session.add(RecoveryCode(
                user_id=user.id,
                code_hash=hash_code(deps.config.secret_key, mfa.RECOVERY_PURPOSE,
                                    normalize_recovery_code(code))))
        deps.session.commit()
        return secret

    return enable
