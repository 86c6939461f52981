"""The e-mail address: read, change (with the password), resend and verify the code."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.conftest import PASSWORD, Mailbox

EMAIL = "/v2/users/self/credentials/email"
RESEND = "/v2/users/self/credentials/email/actions/resend-email"
VERIFY = "/v2/users/self/credentials/email/actions/verify-email"
NEW = "ada.new@example.com"


def request_change(client: FlaskClient, user: dict[str, Any], email: str = NEW,
                   **body: Any) -> Any:
    return client.put(EMAIL, headers=user["headers"],
                      json={"email": email, "password": PASSWORD, **body})


def verify(client: FlaskClient, user: dict[str, Any], token: str | None,
           email: str = NEW) -> Any:
    body = {"email": email} if token is None else {"email": email, "token": token}
    return client.post(VERIFY, headers=user["headers"], json=body)


def types(response: Any) -> list[tuple[str, str]]:
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]


def test_get_own_verified_email(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(EMAIL, headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"email": user["email"]}


def test_change_then_verify_swaps_the_address(client: FlaskClient, user: dict[str, Any],
                                              mailbox: Mailbox,
                                              login: Callable[..., str]) -> None:
    assert request_change(client, user).status_code == 204
    to_new, notice = mailbox.sent[-2:]
    assert (to_new.to, notice.to) == (NEW, user["email"])
    assert NEW in notice.body
    # until verified, the old address is the login and the user's email
    assert client.get(EMAIL, headers=user["headers"]).json == {"email": user["email"]}
    assert client.get("/v2/users/self", headers=user["headers"]).json["email"] == user["email"]
    assert login(user["email"])
    assert verify(client, user, mailbox.last_code(NEW)).status_code == 204
    assert client.get(EMAIL, headers=user["headers"]).json == {"email": NEW}
    assert login(NEW)
    assert client.post("/v2/authenticate", json={"email": user["email"],
                                                 "password": PASSWORD}).status_code == 401


def test_change_checks_a_given_password(client: FlaskClient, user: dict[str, Any]) -> None:
    wrong = request_change(client, user, password="not my password 1")
    assert types(wrong) == [(".password", "WrongPassword")]
    wrong = client.put(EMAIL, json={"email": NEW},
                       headers={**user["headers"], "x-apitree-password": "not my password 1"})
    assert types(wrong) == [(".password", "WrongPassword")]
    header = client.put(EMAIL, json={"email": NEW},
                        headers={**user["headers"], "x-apitree-password": PASSWORD})
    assert header.status_code == 204


def test_change_right_after_a_login_needs_no_password(client: FlaskClient,
                                                      user: dict[str, Any]) -> None:
    # mittwald's body is {email} alone: a fresh session is enough (services/reauth.py)
    assert client.put(EMAIL, headers=user["headers"], json={"email": NEW}).status_code == 204


def test_address_in_use_is_refused(client: FlaskClient, user: dict[str, Any],
                                   register: Callable[..., Any]) -> None:
    register("grace@example.com")
    assert types(request_change(client, user, "GRACE@example.com")) == [
        (".email", "EmailInUse")]
    assert types(request_change(client, user, user["email"])) == [
        (".email", "EmailAddressAlreadyVerified")]


def test_address_taken_meanwhile_is_email_in_use(client: FlaskClient, user: dict[str, Any],
                                                 mailbox: Mailbox,
                                                 register: Callable[..., Any]) -> None:
    request_change(client, user)
    code = mailbox.last_code(NEW)
    register(NEW)  # someone registers the address before the change is verified
    assert types(verify(client, user, code)) == [(".email", "EmailInUse")]
    assert client.get(EMAIL, headers=user["headers"]).json == {"email": user["email"]}


def test_verify_errors(client: FlaskClient, user: dict[str, Any], mailbox: Mailbox) -> None:
    assert types(verify(client, user, "12345678")) == [(".email", "EmailNotFound")]
    assert types(verify(client, user, "12345678", user["email"])) == [
        (".email", "EmailAddressAlreadyVerified")]
    request_change(client, user)
    assert types(verify(client, user, None)) == [(".token", "required")]
    assert types(verify(client, user, "00000000")) == [(".token", "WrongVerificationToken")]
    assert types(verify(client, user, mailbox.last_code(NEW), "other@example.com")) == [
        (".email", "EmailNotFound")]


def test_code_is_single_use(client: FlaskClient, user: dict[str, Any],
                            mailbox: Mailbox) -> None:
    request_change(client, user)
    code = mailbox.last_code(NEW)
    assert verify(client, user, code).status_code == 204
    assert verify(client, user, code).status_code == 400


def test_resend_replaces_the_code(client: FlaskClient, user: dict[str, Any],
                                  mailbox: Mailbox) -> None:
    request_change(client, user)
    first = mailbox.last_code(NEW)
    resent = client.post(RESEND, json={"email": NEW, "userId": user["userId"]})
    assert resent.status_code == 204
    second = mailbox.last_code(NEW)
    assert types(verify(client, user, first)) == [(".token", "WrongVerificationToken")]
    assert verify(client, user, second).status_code == 204


def test_resend_without_a_pending_change_is_412_whether_or_not_the_account_exists(
        client: FlaskClient, user: dict[str, Any]) -> None:
    known = client.post(RESEND, json={"email": user["email"], "userId": user["userId"]})
    unknown = client.post(RESEND, json={"email": "x@example.com", "userId": str(uuid.uuid4())})
    assert known.status_code == unknown.status_code == 412
    assert known.json == unknown.json


def test_resend_covers_an_unverified_registration(client: FlaskClient, mailbox: Mailbox,
                                                  register: Callable[..., Any]) -> None:
    facts = register("late@example.com", verify=False)
    first = mailbox.last_code("late@example.com")
    resent = client.post(RESEND, json={"email": "LATE@example.com", "userId": facts["userId"]})
    assert resent.status_code == 204
    second = mailbox.last_code("late@example.com")
    old = client.post("/v2/verify-registration", json={
        "email": "late@example.com", "userId": facts["userId"], "token": first})
    assert old.status_code == 400
    done = client.post("/v2/verify-registration", json={
        "email": "late@example.com", "userId": facts["userId"], "token": second})
    assert done.status_code == 200


def test_signals(app: Flask, client: FlaskClient, user: dict[str, Any],
                 mailbox: Mailbox) -> None:
    seen: list[tuple[str, str]] = []

    def requested(sender: Flask, **extra: Any) -> None:
        seen.append(("requested", extra["new_email"]))

    def changed(sender: Flask, **extra: Any) -> None:
        seen.append(("changed", extra["old_email"]))

    with signals.email_change_requested.connected_to(requested, sender=app), \
            signals.email_changed.connected_to(changed, sender=app):
        request_change(client, user)
        verify(client, user, mailbox.last_code(NEW))
    assert seen == [("requested", NEW), ("changed", user["email"])]


def test_names_in_the_mails_are_escaped_and_on_one_line(client: FlaskClient,
                                                        user: dict[str, Any],
                                                        mailbox: Mailbox) -> None:
    client.put("/v2/users/self/personal-information", headers=user["headers"],
               json={"person": {"firstName": "<i>Ada</i>", "lastName": "Lovelace"}})
    request_change(client, user)
    for mail in mailbox.sent[-2:]:
        assert "&lt;i&gt;Ada&lt;/i&gt;" in (mail.html or "")
        assert re.search(r"^Hello <i>Ada</i>,$", mail.body, re.MULTILINE)


def test_concurrent_verify_of_one_code_succeeds_once(
        is_postgres: bool, make_app: Callable[..., Flask],
        mailbox: Mailbox) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")
    racers = 8
    app = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": racers, "max_overflow": 0}})
    client = app.test_client()
    registered = client.post("/v2/register", json={
        "email": "race@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    client.post("/v2/verify-registration", json={
        "email": "race@example.com", "userId": registered.json["userId"],
        "token": mailbox.last_code()})
    token = client.post("/v2/authenticate", json={"email": "race@example.com",
                                                  "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.put(EMAIL, headers=headers, json={"email": NEW, "password": PASSWORD})
    code = mailbox.last_code(NEW)
    barrier = threading.Barrier(racers, timeout=30)
    statuses: list[int] = []

    def run() -> None:
        racer = app.test_client()
        barrier.wait()
        statuses.append(racer.post(VERIFY, headers=headers,
                                   json={"email": NEW, "token": code}).status_code)

    threads = [threading.Thread(target=run) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [204] + [400] * (racers - 1)
    assert client.get(EMAIL, headers=headers).json == {"email": NEW}


def test_a_verified_change_ends_the_other_sessions(client: FlaskClient, user: dict[str, Any],
                                                   mailbox: Mailbox,
                                                   login: Callable[..., str]) -> None:
    other = {"x-access-token": login(user["email"])}
    assert client.get(EMAIL, headers=other).status_code == 200
    assert request_change(client, user).status_code == 204
    assert verify(client, user, mailbox.last_code(NEW)).status_code == 204
    assert client.get(EMAIL, headers=other).status_code == 401  # ended
    assert client.get(EMAIL, headers=user["headers"]).json == {"email": NEW}  # the caller's stays


def test_a_verified_change_voids_reset_links_mailed_to_the_old_address(
        client: FlaskClient, user: dict[str, Any], mailbox: Mailbox) -> None:
    reset = client.post("/v2/users/self/credentials/actions/init-password-reset",
                        json={"email": user["email"]})
    reset.close()  # the mail goes out once the response is closed
    match = re.search(r"reset code is: (\w+)", mailbox.sent[-1].body)
    assert match and mailbox.sent[-1].to == user["email"]
    assert request_change(client, user).status_code == 204
    assert verify(client, user, mailbox.last_code(NEW)).status_code == 204
    confirmed = client.post("/v2/users/self/credentials/password/confirm-reset", json={
        "userId": user["userId"], "token": match.group(1),
        "password": "a brand new passphrase 42"})
    assert confirmed.status_code == 400, confirmed.json
