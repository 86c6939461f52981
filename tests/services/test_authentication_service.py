"""authentication.authenticate / check_password_login / resolve_token / logout, directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from flask_usercore import signals
from flask_usercore.errors import ValidationFailed, WrongCredentials
from flask_usercore.models import Credential, CredentialKind, User
from flask_usercore.security.passwords import PasswordHasher
from flask_usercore.security.tokens import hash_token
from flask_usercore.services import authentication
from flask_usercore.services.context import ClientInfo, Deps, commit

PASSWORD = "correct horse battery staple 9"


def failure_type(exc: pytest.ExceptionInfo[WrongCredentials]) -> str:
    [error] = exc.value.errors
    return error.type


def stored_credential(deps: Deps, credential_id: Any) -> Credential | None:
    deps.session.expire_all()
    return deps.session.get(Credential, credential_id)


# -- authenticate --------------------------------------------------------------------------

def test_authenticate_starts_a_session(deps: Deps, make_user: Callable[..., User],
                                       clock: Any) -> None:
    user = make_user()
    client = ClientInfo(ip_address="127.0.0.1", user_agent="pytest/" + "x" * 600)
    issued = authentication.authenticate(deps, "ADA@example.com", PASSWORD, client)
    assert len(issued.token) == 43 and len(issued.refresh_token) == 43
    assert issued.token != issued.refresh_token
    stored = stored_credential(deps, issued.credential.id)
    assert stored is not None
    assert stored.user_id == user.id
    assert stored.kind == CredentialKind.SESSION
    # only hashes are stored
    assert stored.token_hash == hash_token(issued.token)
    assert stored.refresh_hash == hash_token(issued.refresh_token)
    assert stored.family_id == stored.id
    ttl, refresh_ttl = deps.config.access_token_ttl, deps.config.refresh_token_ttl
    assert stored.expires_at == clock.now + dt.timedelta(seconds=ttl)
    assert stored.refresh_expires_at == clock.now + dt.timedelta(seconds=refresh_ttl)
    assert issued.expires == stored.expires_at
    assert stored.last_used_at == clock.now
    assert stored.ip_address == "127.0.0.1"
    assert stored.user_agent is not None and len(stored.user_agent) == 512


def test_authenticate_sends_login_succeeded(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    seen: list[tuple[Any, Any]] = []

    def on_login(sender: Flask, user: User, credential: Credential) -> None:
        seen.append((user.id, credential.id))

    with signals.login_succeeded.connected_to(on_login):
        issued = authentication.authenticate(deps, user.email, PASSWORD, ClientInfo())
        assert seen == []  # announced after the commit only
        commit(deps.session)
    assert seen == [(user.id, issued.credential.id)]


def test_authenticate_asks_for_the_second_factor(deps: Deps, make_user: Callable[..., User],
                                                 enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    enable_mfa(user)
    outcome = authentication.authenticate(deps, user.email, PASSWORD, ClientInfo())
    assert outcome == authentication.SecondFactorChallenge(user.id)
    assert deps.session.scalars(select(Credential)).first() is None


# -- check_password_login ------------------------------------------------------------------

def test_password_login_accepts_any_email_case(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user("Ada@Example.com")
    assert authentication.check_password_login(deps, "ada@EXAMPLE.com", PASSWORD).id == user.id


def test_unknown_email_costs_a_dummy_verify(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(deps.hasher, "verify_dummy", calls.append)
    failures: list[dict[str, Any]] = []

    def on_failure(sender: Flask, **kwargs: Any) -> None:
        failures.append(kwargs)

    with signals.login_failed.connected_to(on_failure), \
            pytest.raises(WrongCredentials) as exc:
        authentication.check_password_login(deps, "nobody@example.com", PASSWORD)
    assert failure_type(exc) == "WrongCredentials"
    assert calls == [PASSWORD]
    assert failures == [{"email": "nobody@example.com", "reason": "WrongCredentials"}]


def test_wrong_password(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    with pytest.raises(WrongCredentials) as exc:
        authentication.check_password_login(deps, user.email, PASSWORD + "x")
    assert failure_type(exc) == "WrongCredentials"
    assert exc.value.status == 401


def test_unverified_email_is_refused_after_the_password_check(
        deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user(verified=False)
    with pytest.raises(WrongCredentials) as exc:
        authentication.check_password_login(deps, user.email, PASSWORD)
    assert failure_type(exc) == "EmailAddressNotVerified"
    # a wrong password does not reveal that the account exists but is unverified
    with pytest.raises(WrongCredentials) as exc:
        authentication.check_password_login(deps, user.email, "wrong")
    assert failure_type(exc) == "WrongCredentials"


def test_unverified_email_allowed_when_configured(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_REQUIRE_VERIFIED_EMAIL": False})
    with app.app_context():
        deps: Deps = app.extensions["usercore"].deps
        from flask_usercore.commands.registration import Person, Register
        from flask_usercore.services import registration

        user = registration.create_user(
            deps, Register("ada@example.com", PASSWORD, Person("Ada", "Lovelace")))
        assert authentication.check_password_login(deps, user.email, PASSWORD).id == user.id


def test_password_rehashed_when_the_parameters_changed(deps: Deps,
                                                       make_user: Callable[..., User]) -> None:
    user = make_user()
    old_hash = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1).hash(PASSWORD)
    user.password_hash = old_hash
    deps.session.commit()
    assert deps.hasher.needs_rehash(old_hash)
    authentication.check_password_login(deps, user.email, PASSWORD)
    commit(deps.session)
    deps.session.expire_all()
    stored = deps.session.get(User, user.id)
    assert stored is not None
    assert stored.password_hash != old_hash
    assert not deps.hasher.needs_rehash(stored.password_hash)
    assert deps.hasher.verify(stored.password_hash, PASSWORD)


def test_current_hash_is_not_rewritten(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    before = user.password_hash
    authentication.check_password_login(deps, user.email, PASSWORD)
    deps.session.expire_all()
    assert deps.session.get(User, user.id).password_hash == before  # type: ignore[union-attr]


# -- resolve_token -------------------------------------------------------------------------

def test_resolve_token(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    issued = authentication.authenticate(deps, user.email, PASSWORD, ClientInfo())
    auth = authentication.resolve_token(deps, issued.token)
    assert auth is not None
    assert auth.user.id == user.id
    assert auth.credential.id == issued.credential.id
    assert auth.token == issued.token
    assert auth.user.mfa_active is False


@pytest.mark.parametrize("token", ["", "nope", "x" * 43])
def test_resolve_unknown_token(deps: Deps, make_user: Callable[..., User], token: str) -> None:
    authentication.authenticate(deps, make_user().email, PASSWORD, ClientInfo())
    assert authentication.resolve_token(deps, token) is None


def test_refresh_token_is_not_an_access_token(deps: Deps, make_user: Callable[..., User]) -> None:
    issued = authentication.authenticate(deps, make_user().email, PASSWORD, ClientInfo())
    assert authentication.resolve_token(deps, issued.refresh_token) is None


def test_expired_token_resolves_to_none(deps: Deps, make_user: Callable[..., User],
                                        clock: Any) -> None:
    issued = authentication.authenticate(deps, make_user().email, PASSWORD, ClientInfo())
    clock.advance(deps.config.access_token_ttl - 1)
    assert authentication.resolve_token(deps, issued.token) is not None
    clock.advance(1)
    assert authentication.resolve_token(deps, issued.token) is None
    clock.advance(3600)
    assert authentication.resolve_token(deps, issued.token) is None


def test_resolving_a_token_writes_nothing_and_buffers_its_last_use(
        deps: Deps, make_user: Callable[..., User], clock: Any) -> None:
    issued = authentication.authenticate(deps, make_user().email, PASSWORD, ClientInfo())
    commit(deps.session)
    writes: list[str] = []

    def count_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    engine = deps.session.get_bind()
    event.listen(engine, "before_cursor_execute", count_writes)
    try:
        for _ in range(3):
            clock.advance(90)  # "not used in the last minute" each time
            auth = authentication.resolve_token(deps, issued.token)
            commit(deps.session)
            assert auth is not None
        assert writes == []
        assert deps.last_access.pending(issued.credential.id) == clock.now
    finally:
        event.remove(engine, "before_cursor_execute", count_writes)
    assert deps.last_access.flush() == 1
    assert stored_credential(deps, issued.credential.id).last_used_at == clock.now  # type: ignore[union-attr]


# -- logout --------------------------------------------------------------------------------

def test_logout_ends_only_this_session(deps: Deps, make_user: Callable[..., User],
                                       sign_in: Callable[..., Any]) -> None:
    user = make_user()
    first, second = sign_in(user), sign_in(user)
    seen: list[Any] = []

    def on_logout(sender: Flask, user: User, credential: Credential) -> None:
        seen.append(credential.id)

    with signals.logged_out.connected_to(on_logout):
        authentication.logout(deps, first)
        commit(deps.session)
    assert seen == [first.credential.id]
    assert authentication.resolve_token(deps, first.token) is None
    assert stored_credential(deps, first.credential.id) is None
    assert authentication.resolve_token(deps, second.token) is not None


def test_a_refused_refresh_names_the_command_field(deps: Deps) -> None:
    # the service names refresh_token; outside an operation the error falls back to its
    # camelCase, which is also what the operation's schema sends (.refreshToken)
    with pytest.raises(ValidationFailed) as caught:
        authentication.refresh_session(deps, "not a refresh token", None)
    [error] = caught.value.errors
    assert (error.field, error.type) == ("refresh_token", "InvalidRefreshToken")
    assert error.to_json() == {"path": ".refreshToken", "type": "InvalidRefreshToken",
                               "message": "the refresh token is not valid"}
