"""Per-account lockout: wrong passwords and second-factor codes lock the account, not the IP.

The defaults are on in these tests (5 failures, then 30 s doubling up to 900 s, failures kept
24 h). Time is moved with a fake clock in the rate-limit storage instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import limits.storage.memory
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.runtime import lockout
from tests.conftest import PASSWORD, enable_mfa

Register = Callable[..., dict[str, Any]]
WRONG = "not the password 123"
HEADER = "x-apitree-password"


class FakeTime:
    """Stands in for the ``time`` module of the memory storage and of the lockout."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(lockout, "time", fake)
    return fake


def login(client: FlaskClient, email: str = "ada@example.com", password: str = PASSWORD,
          **kwargs: Any) -> Any:
    return client.post("/v2/authenticate", json={"email": email, "password": password},
                       **kwargs)


def assert_locked(response: Any, retry_after: int | None = None) -> None:
    assert response.status_code == 429, response.json
    assert response.json == {"type": "RateLimitError", "message": "too many requests",
                             "code": 429}
    if retry_after is not None:
        assert response.headers["Retry-After"] == str(retry_after)
    else:
        assert int(response.headers["Retry-After"]) >= 1


def fail(client: FlaskClient, times: int, email: str = "ada@example.com") -> list[int]:
    return [login(client, email, WRONG).status_code for _ in range(times)]


def test_wrong_passwords_lock_then_the_lock_ends(client: FlaskClient, register: Register,
                                                 clock: FakeTime) -> None:
    register()
    assert fail(client, 5) == [401] * 5
    assert_locked(login(client, password=WRONG), 30)
    assert_locked(login(client), 30)  # the right password is refused too
    clock.advance(29)
    assert_locked(login(client), 1)
    clock.advance(1)
    assert login(client).status_code == 200


def test_the_lock_is_checked_before_the_password_is_hashed(
        app: Flask, client: FlaskClient, register: Register, clock: FakeTime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    register()
    fail(client, 5)
    fail(client, 5, "nobody@example.com")
    hasher = app.extensions["usercore"].deps.hasher
    calls: list[str] = []
    monkeypatch.setattr(hasher, "verify", lambda *a: calls.append("verify"))
    monkeypatch.setattr(hasher, "verify_dummy", lambda *a: calls.append("dummy"))
    assert_locked(login(client))
    assert_locked(login(client, "nobody@example.com"))
    assert calls == []


def test_each_further_failure_doubles_the_lock_up_to_the_maximum(
        client: FlaskClient, register: Register, clock: FakeTime) -> None:
    register()
    assert fail(client, 4) == [401] * 4
    for seconds in (30, 60, 120, 240, 480, 900, 900):
        assert fail(client, 1) == [401]  # the failure that locks is still answered 401
        assert_locked(login(client, password=WRONG), seconds)  # refused: not counted
        assert_locked(login(client, password=WRONG), seconds)
        clock.advance(seconds)
    assert login(client).status_code == 200


def test_failures_are_forgotten_after_the_window(client: FlaskClient, register: Register,
                                                 clock: FakeTime) -> None:
    register()
    assert fail(client, 4) == [401] * 4
    clock.advance(24 * 3600)
    assert fail(client, 4) == [401] * 4  # counting starts again
    assert fail(client, 1) == [401]
    assert_locked(login(client), 30)


def test_a_completed_login_forgets_the_failures(client: FlaskClient, register: Register,
                                                clock: FakeTime) -> None:
    register()
    assert fail(client, 4) == [401] * 4
    assert login(client).status_code == 200
    assert fail(client, 5) == [401] * 5
    assert_locked(login(client), 30)


def test_an_unknown_address_is_counted_and_answered_the_same(
        client: FlaskClient, register: Register, clock: FakeTime) -> None:
    register()
    seen = []
    for email in ("ada@example.com", "nobody@example.com"):
        answers = [login(client, email, WRONG) for _ in range(6)]
        assert [r.status_code for r in answers] == [401] * 5 + [429]
        assert answers[5].headers["Retry-After"] == "30"
        seen.append([(r.json, {k: v for k, v in r.headers if k != "X-Request-ID"})
                     for r in answers])  # the request id differs per request, not per account
    assert seen[0] == seen[1]


def test_every_spelling_of_the_address_is_one_account(client: FlaskClient, register: Register,
                                                      clock: FakeTime) -> None:
    register()
    for email in ("ada@example.com", "ADA@example.com", " Ada@EXAMPLE.com",
                  "ada@EXAMPLE.COM", "aDa@example.com"):
        assert fail(client, 1, email) == [401]
    assert_locked(login(client, "Ada@Example.com"), 30)


def test_per_account_not_per_address(client: FlaskClient, register: Register,
                                     clock: FakeTime) -> None:
    register()
    register("grace@example.com")
    assert fail(client, 5) == [401] * 5
    assert_locked(login(client))
    assert login(client, "grace@example.com").status_code == 200  # same client address
    other_address = login(client, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert_locked(other_address)  # another address does not help


def test_threshold_zero_turns_the_lockout_off(make_app: Callable[..., Flask],
                                              clock: FakeTime) -> None:
    app = make_app({"USERCORE_LOCKOUT_THRESHOLD": 0, "USERCORE_REQUIRE_VERIFIED_EMAIL": False})
    client = app.test_client()
    body = {"email": "ada@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}}
    assert client.post("/v2/register", json=body).status_code == 201
    assert fail(client, 20) == [401] * 20
    assert login(client).status_code == 200


def test_configured_lengths(make_app: Callable[..., Flask], clock: FakeTime) -> None:
    app = make_app({"USERCORE_LOCKOUT_THRESHOLD": 2, "USERCORE_LOCKOUT_SECONDS": 5,
                    "USERCORE_LOCKOUT_MAX_SECONDS": 7})
    client = app.test_client()
    assert fail(client, 2, "nobody@example.com") == [401, 401]
    assert_locked(login(client, "nobody@example.com"), 5)
    clock.advance(5)
    assert fail(client, 1, "nobody@example.com") == [401]
    assert_locked(login(client, "nobody@example.com"), 7)


def delete(client: FlaskClient, user: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.delete("/v2/users/self", json=body, headers=user["headers"])


def alive(client: FlaskClient, user: dict[str, Any]) -> bool:
    return bool(client.get("/v2/users/self", headers=user["headers"]).status_code == 200)


class TestDeleteAccount:
    def test_password_guesses_lock(self, client: FlaskClient, user: dict[str, Any],
                                   clock: FakeTime) -> None:
        answers = [delete(client, user, {"password": WRONG}) for _ in range(5)]
        assert {(r.status_code, r.json["validationErrors"][0]["type"]) for r in answers} == {
            (400, "WrongPassword")}
        assert_locked(delete(client, user, {"password": PASSWORD}), 30)
        assert_locked(client.delete("/v2/users/self",
                                    headers={**user["headers"], HEADER: PASSWORD}), 30)
        assert alive(client, user)
        assert_locked(login(client), 30)  # one account, one counter
        clock.advance(30)
        assert delete(client, user, {"password": PASSWORD}).status_code == 200

    def test_login_failures_count_for_the_confirmation(self, client: FlaskClient,
                                                       user: dict[str, Any],
                                                       clock: FakeTime) -> None:
        assert fail(client, 5) == [401] * 5
        assert_locked(delete(client, user, {"password": PASSWORD}), 30)
        assert alive(client, user)

    def test_code_guesses_lock(self, app: Flask, client: FlaskClient, user: dict[str, Any],
                               clock: FakeTime) -> None:
        secret = enable_mfa(app, user["userId"])
        for code in ("000000", "111111", "ABCDEFGHJKLMNPQR", "222222", "333333"):
            if pyotp.TOTP(secret).verify(code, valid_window=1):
                code = "ABCDEFGHJKLMNPQ2"
            answer = delete(client, user, {"password": PASSWORD, "multiFactorCode": code})
            assert answer.status_code == 400
            assert answer.json["validationErrors"][0]["type"] == "MfaCodeNotValid"
        right = {"password": PASSWORD, "multiFactorCode": pyotp.TOTP(secret).now()}
        assert_locked(delete(client, user, right), 30)
        assert alive(client, user)
        clock.advance(30)
        right["multiFactorCode"] = pyotp.TOTP(secret).at(clock.now)
        assert delete(client, user, right).status_code == 200

    def test_right_password_with_wrong_code_forgets_nothing(
            self, app: Flask, client: FlaskClient, user: dict[str, Any],
            clock: FakeTime) -> None:
        secret = enable_mfa(app, user["userId"])
        code = "123456" if not pyotp.TOTP(secret).verify("123456", valid_window=1) else "654321"
        assert [delete(client, user, {"password": WRONG}).status_code
                for _ in range(4)] == [400] * 4
        answer = delete(client, user, {"password": PASSWORD, "multiFactorCode": code})
        assert answer.json["validationErrors"][0]["type"] == "MfaCodeNotValid"
        assert_locked(delete(client, user, {"password": PASSWORD,
                                            "multiFactorCode": pyotp.TOTP(secret).now()}), 30)

    def test_a_missing_code_is_no_failure(self, app: Flask, client: FlaskClient,
                                          user: dict[str, Any], clock: FakeTime) -> None:
        enable_mfa(app, user["userId"])
        answers = [delete(client, user, {"password": PASSWORD}) for _ in range(8)]
        assert {r.status_code for r in answers} == {202}
