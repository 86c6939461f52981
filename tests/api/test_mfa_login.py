"""``POST /v2/authenticate-mfa``: completing a login that ``/v2/authenticate`` answered with
202, and the second factor's rules (drift, single use, recovery codes, lockout)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import limits.storage.memory
import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from flask_usercore.runtime import lockout
from tests.api.mfa_flow import MFA, TotpClock, enable, first_factor, second_factor
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.conftest import PASSWORD, Mailbox

User = dict[str, Any]


@pytest.fixture
def mfa_user(client: FlaskClient, user: User, totp_clock: TotpClock) -> User:
    """The logged-in ``user`` with MFA on: adds ``secret`` and ``codes``."""
    secret, codes = enable(client, user["headers"], totp_clock)
    return {**user, "secret": secret, "codes": codes}


def code_error(response: Any) -> str:
    assert response.status_code == 400, response.json
    [item] = response.json["validationErrors"]
    assert item["path"] == ".multiFactorCode"
    return str(item["type"])


def assert_expired(response: Any) -> None:
    assert response.status_code == 408, response.json
    assert response.json["name"] == "FirstAuthenticationFactorExpired"
    assert isinstance(response.json["message"], str) and response.json["message"]


def wrong_totp(secret: str, clock: TotpClock) -> str:
    valid = {clock.code(secret, d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


class TestLogin:
    def test_202_then_the_code_gives_a_session(self, client: FlaskClient, mfa_user: User,
                                               totp_clock: TotpClock) -> None:
        first_factor(client)
        answer = second_factor(client, totp_clock.next_code(mfa_user["secret"]))
        assert answer.status_code == 200
        assert set(answer.json) == {"token", "refreshToken", "expires"}
        own = client.get(MFA, headers={"Authorization": f"Bearer {answer.json['token']}"})
        assert own.json == {"initialized": True, "confirmed": True}

    def test_cookie_only(self, client: FlaskClient, mfa_user: User,
                         totp_clock: TotpClock) -> None:
        first_factor(client)
        answer = second_factor(client, totp_clock.next_code(mfa_user["secret"]),
                               query="?cookieOnly=true")
        assert answer.status_code == 204 and answer.data == b""
        assert "x-access-token=" in answer.headers["Set-Cookie"]
        assert "HttpOnly" in answer.headers["Set-Cookie"]

    def test_without_a_202_before_it_is_408(self, client: FlaskClient, mfa_user: User,
                                            totp_clock: TotpClock) -> None:
        assert_expired(second_factor(client, totp_clock.next_code(mfa_user["secret"])))

    def test_the_first_factor_works_once(self, client: FlaskClient, mfa_user: User,
                                         totp_clock: TotpClock) -> None:
        first_factor(client)
        assert second_factor(client, totp_clock.next_code(mfa_user["secret"])).status_code == 200
        assert_expired(second_factor(client, mfa_user["codes"][0]))

    def test_a_wrong_code_can_be_corrected(self, client: FlaskClient, mfa_user: User,
                                           totp_clock: TotpClock) -> None:
        first_factor(client)
        totp_clock.advance(30)
        assert code_error(second_factor(
            client, wrong_totp(mfa_user["secret"], totp_clock))) == "MfaCodeNotValid"
        assert second_factor(client, totp_clock.code(mfa_user["secret"])).status_code == 200

    def test_a_wrong_password_is_refused_and_uses_nothing(self, client: FlaskClient,
                                                          mfa_user: User,
                                                          totp_clock: TotpClock) -> None:
        first_factor(client)
        code = totp_clock.next_code(mfa_user["secret"])
        for email, password in (("ada@example.com", "not the password 1"),
                                ("eve@example.com", PASSWORD)):
            answer = second_factor(client, code, email=email, password=password)
            assert answer.status_code == 400
            assert [(e["path"], e["type"]) for e in answer.json["validationErrors"]] == [
                ("", "WrongCredentials")]
        assert second_factor(client, code).status_code == 200

    def test_mfa_turned_off_in_between_is_408(self, client: FlaskClient, mfa_user: User,
                                              totp_clock: TotpClock) -> None:
        first_factor(client)
        assert client.delete(MFA, headers=mfa_user["headers"], json={
            "multiFactorCode": mfa_user["codes"][0]}).status_code == 204
        assert_expired(second_factor(client, mfa_user["codes"][1]))
        assert client.post("/v2/authenticate", json={
            "email": "ada@example.com", "password": PASSWORD}).status_code == 200


class TestFirstFactorLifetime:
    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app({"USERCORE_MFA_FIRST_FACTOR_TTL": 90})

    def test_it_expires_after_the_ttl(self, client: FlaskClient, mfa_user: User,
                                      totp_clock: TotpClock) -> None:
        first_factor(client)
        totp_clock.advance(89)
        assert second_factor(client, totp_clock.code(mfa_user["secret"])).status_code == 200
        first_factor(client)
        totp_clock.advance(90)
        assert_expired(second_factor(client, totp_clock.code(mfa_user["secret"])))


class TestTotp:
    @pytest.mark.parametrize("steps", [-1, 1])
    def test_one_step_of_drift_is_accepted(self, client: FlaskClient, mfa_user: User,
                                           totp_clock: TotpClock, steps: int) -> None:
        totp_clock.advance(90)
        first_factor(client)
        assert second_factor(client, totp_clock.code(mfa_user["secret"], steps)
                             ).status_code == 200

    @pytest.mark.parametrize("steps", [-2, 2])
    def test_two_steps_of_drift_are_refused(self, client: FlaskClient, mfa_user: User,
                                            totp_clock: TotpClock, steps: int) -> None:
        totp_clock.advance(90)
        secret = mfa_user["secret"]
        code = totp_clock.code(secret, steps)
        if code in {totp_clock.code(secret, d) for d in (-1, 0, 1)}:
            pytest.skip("1-in-a-million collision of two steps' codes")
        first_factor(client)
        assert code_error(second_factor(client, code)) == "MfaCodeNotValid"

    def test_a_code_works_once(self, client: FlaskClient, mfa_user: User,
                               totp_clock: TotpClock) -> None:
        code = totp_clock.next_code(mfa_user["secret"])
        first_factor(client)
        assert second_factor(client, code).status_code == 200
        totp_clock.advance(20)  # still inside the code's window
        first_factor(client)
        assert code_error(second_factor(client, code)) == "MfaCodeNotValid"


class TestRecoveryCodes:
    def test_each_works_once_and_the_user_is_told(self, app: Flask, client: FlaskClient,
                                                  mfa_user: User, mailbox: Mailbox) -> None:
        received: list[int] = []
        mailbox.sent.clear()
        with signals.recovery_code_used.connected_to(
                lambda sender, **kw: received.append(kw["remaining"]), sender=app):
            first_factor(client)
            assert second_factor(client, mfa_user["codes"][5]).status_code == 200
            first_factor(client)
            assert code_error(second_factor(client, mfa_user["codes"][5])) == "MfaCodeNotValid"
            assert second_factor(client, mfa_user["codes"][6]).status_code == 200
        assert received == [19, 18]
        assert [m.to for m in mailbox.sent] == [mfa_user["email"]] * 2
        assert "Recovery codes left: 19." in mailbox.sent[0].body
        assert "Recovery codes left: 18." in mailbox.sent[1].body

    def test_deleting_the_account_with_one_mails_no_notice(
            self, client: FlaskClient, mfa_user: User, mailbox: Mailbox) -> None:
        mailbox.sent.clear()
        answer = client.delete("/v2/users/self", headers=mfa_user["headers"], json={
            "password": PASSWORD, "multiFactorCode": mfa_user["codes"][0]})
        assert answer.status_code == 200
        assert not any("recovery code" in mail.subject for mail in mailbox.sent)

    def test_any_case_and_separators(self, client: FlaskClient, mfa_user: User) -> None:
        code = mfa_user["codes"][0]
        typed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).lower()
        first_factor(client)
        assert second_factor(client, typed).status_code == 200


class FakeTime:
    """The ``time`` module of the memory storage and of the lockout."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_wrong_codes_lock_the_account_and_leave_no_free_guesses(
        client: FlaskClient, mfa_user: User, totp_clock: TotpClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(lockout, "time", fake)
    secret = mfa_user["secret"]
    first_factor(client)
    totp_clock.advance(30)
    wrong = wrong_totp(secret, totp_clock)
    statuses = [second_factor(client, wrong).status_code for _ in range(10)]
    assert statuses == [400] * 5 + [429] * 5
    fake.advance(1)
    assert second_factor(client, totp_clock.code(secret)).status_code == 429  # right code too
    fake.advance(29)  # the first lock ends; the next wrong code locks again, longer
    assert second_factor(client, wrong).status_code == 400
    answer = second_factor(client, wrong)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "60"
    fake.advance(60)
    assert second_factor(client, totp_clock.code(secret)).status_code == 200
