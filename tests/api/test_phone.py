"""Phone numbers: E.164 parsing, the SMS code read from the outbox, throttling, removal."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.api.resource_helpers import error_items, signed_in
from tests.conftest import Mailbox

PHONE = "/v2/users/{}/phone"
VERIFY = "/v2/users/{}/actions/verify-phone"
MOBILE = "+491701234567"


class Phone:
    """A signed-in user of an app whose SMS land in ``outbox``."""

    def __init__(self, client: FlaskClient, headers: dict[str, str], outbox: Path) -> None:
        self.client, self.headers, self.outbox = client, headers, outbox

    def add(self, number: str = MOBILE, who: str = "self") -> Any:
        return self.client.post(PHONE.format(who), json={"phoneNumber": number},
                                headers=self.headers)

    def verify(self, code: str, number: str = MOBILE, who: str = "self") -> Any:
        return self.client.post(VERIFY.format(who), json={"phoneNumber": number, "code": code},
                                headers=self.headers)

    def remove(self, who: str = "self") -> Any:
        return self.client.delete(PHONE.format(who), headers=self.headers)

    def me(self) -> dict[str, Any]:
        me: dict[str, Any] = self.client.get("/v2/users/self", headers=self.headers).json
        return me

    def sms(self) -> list[tuple[str, str]]:
        """``(to, text)`` of every SMS written, oldest first."""
        found = []
        for path in sorted(self.outbox.glob("*.txt")):
            head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
            found.append((head.removeprefix("To: "), text.strip()))
        return found

    def last_code(self) -> str:
        match = re.search(r"code is: (\d{6})$", self.sms()[-1][1])
        assert match, self.sms()
        return match.group(1)


@pytest.fixture
def phone_app(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Phone]:
    def make(**config: Any) -> Phone:
        outbox = tmp_path / "sms"
        app = make_app({"USERCORE_SMS_OUTBOX": str(outbox), "USERCORE_SMS_RATELIMIT": "",
                        **config})
        client = app.test_client()
        mailbox = app.extensions["usercore"].deps.mailer
        assert isinstance(mailbox, Mailbox)
        return Phone(client, signed_in(client, mailbox), outbox)

    return make


@pytest.fixture
def phone(phone_app: Callable[..., Phone]) -> Phone:
    return phone_app()


def test_add_sends_a_six_digit_code_and_verify_shows_the_number(phone: Phone) -> None:
    events: list[tuple[str, str]] = []

    def verified(sender: Any, **kw: Any) -> None:
        events.append(("verified", kw["phone_number"]))

    assert phone.add("+49 170 1234567").status_code == 204
    assert "phoneNumber" not in phone.me()  # not before it is verified
    [(to, text)] = phone.sms()
    assert to == MOBILE
    assert text.startswith("Your verification code is: ")
    code = phone.last_code()
    with signals.phone_verified.connected_to(verified):
        response = phone.verify(code, "+49 (170) 123-4567")
    assert response.status_code == 204
    assert phone.me()["phoneNumber"] == MOBILE
    assert events == [("verified", MOBILE)]
    assert phone.verify(code).status_code == 409  # verified already
    assert phone.add().status_code == 409


@pytest.mark.parametrize(("number", "kind"), [
    ("01701234567", "format"),  # not international
    ("+49123", "format"),  # no such number
    ("phone", "format"),
    ("+4930123456", "NotAMobileNumber"),  # a Berlin landline
])
def test_numbers_that_cannot_get_an_sms_are_refused(phone: Phone, number: str,
                                                    kind: str) -> None:
    assert error_items(phone.add(number)) == [(".phoneNumber", kind)]
    assert phone.sms() == []


def test_a_us_number_that_may_be_mobile_is_accepted(phone: Phone) -> None:
    assert phone.add("+1 650 253 0000").status_code == 204
    assert phone.sms()[0][0] == "+16502530000"


def test_bad_bodies(phone: Phone) -> None:
    assert error_items(phone.client.post(PHONE.format("self"), json={},
                                         headers=phone.headers)) == [(".phoneNumber", "required")]
    assert error_items(phone.add("+49" + "1" * 70)) == [(".phoneNumber", "maxLength")]
    phone.add()
    assert error_items(phone.verify("12345")) == [(".code", "minLength")]
    assert error_items(phone.verify("1234567")) == [(".code", "maxLength")]
    assert error_items(phone.verify("12345a")) == [(".code", "pattern")]


def test_a_wrong_code_is_400_and_the_guesses_are_limited(phone: Phone) -> None:
    phone.add()
    code = phone.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert error_items(phone.verify(wrong)) == [(".code", "WrongVerificationCode")]
    assert phone.verify(code).status_code == 404  # the code is burnt
    assert "phoneNumber" not in phone.me()


def test_verify_without_a_pending_code_for_that_number_is_404(phone: Phone) -> None:
    assert phone.verify("123456").status_code == 404
    phone.add()
    assert phone.verify(phone.last_code(), "+447911123456").status_code == 404


def test_a_new_code_replaces_the_old_one(phone: Phone) -> None:
    phone.add()
    first = phone.last_code()
    phone.add("+447911123456")
    second = phone.last_code()
    assert phone.verify(first).status_code == 404  # that number's code is gone
    if first != second:
        assert phone.verify(first, "+447911123456").status_code == 400
    assert phone.verify(second, "+447911123456").status_code == 204
    assert phone.me()["phoneNumber"] == "+447911123456"


def test_the_code_expires(phone_app: Callable[..., Phone]) -> None:
    phone = phone_app(USERCORE_CODE_TTL=1)
    phone.add()
    time.sleep(1.1)
    assert phone.verify(phone.last_code()).status_code == 404


def test_remove(phone: Phone) -> None:
    assert phone.remove().status_code == 412
    assert phone.remove().json["type"] == "PreconditionFailed"
    phone.add()
    assert phone.remove().status_code == 412  # only pending: nothing is set
    phone.verify(phone.last_code())
    removed: list[str] = []

    def receiver(sender: Any, **kw: Any) -> None:
        removed.append(kw["phone_number"])

    with signals.phone_removed.connected_to(receiver):
        assert phone.remove().status_code == 204
    assert removed == [MOBILE]
    assert "phoneNumber" not in phone.me()
    assert phone.remove().status_code == 412


def test_sending_is_throttled_per_user(phone_app: Callable[..., Phone]) -> None:
    phone = phone_app(USERCORE_SMS_RATELIMIT="2/hour")
    assert phone.add().status_code == 204
    assert phone.add("+447911123456").status_code == 204
    third = phone.add("+4915112345678")
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0
    assert len(phone.sms()) == 2


def test_sending_is_throttled_per_number_across_users(
        phone_app: Callable[..., Phone]) -> None:
    phone = phone_app(USERCORE_SMS_RATELIMIT="2/hour")
    mailbox = phone.client.application.extensions["usercore"].deps.mailer
    other = Phone(phone.client, signed_in(phone.client, mailbox, "grace@example.com"),
                  phone.outbox)
    assert phone.add().status_code == 204
    assert other.add().status_code == 204
    assert other.add().status_code == 429  # the number had its share, whoever asks
    assert other.add("+447911123456").status_code == 204


def test_another_users_phone_is_403(phone: Phone) -> None:
    other = str(uuid.uuid4())
    assert phone.add(who=other).status_code == 403
    assert phone.verify("123456", who=other).status_code == 403
    assert phone.remove(who=other).status_code == 403
    assert phone.sms() == []
    me = phone.me()["userId"]
    assert phone.add(who=me).status_code == 204
