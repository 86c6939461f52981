"""``POST .../actions/init-password-reset`` and ``POST .../password/confirm-reset``."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from flask_usercore.models import CodePurpose, OneTimeCode
from flask_usercore.services.codes import issue_code
from flask_usercore.services.context import commit
from flask_usercore.services.password_reset import new_reset_token
from tests.conftest import PASSWORD, Mailbox

INIT = "/v2/users/self/credentials/actions/init-password-reset"
CONFIRM = "/v2/users/self/credentials/password/confirm-reset"
NEW = "a brand new passphrase 42"


def init(client: FlaskClient, email: str) -> Any:
    response = client.post(INIT, json={"email": email})
    response.close()  # a server closes the response after sending it: the mail goes out then
    return response


def reset_token(mailbox: Mailbox, email: str) -> str:
    mails = [m for m in mailbox.sent if m.to == email and "reset code" in m.body]
    match = re.search(r"reset code is: (\w+)", mails[-1].body)
    assert match
    return match.group(1)


def confirm(client: FlaskClient, user_id: str, token: str, password: str = NEW) -> Any:
    return client.post(CONFIRM, json={"userId": user_id, "token": token, "password": password})


def test_reset_sets_the_password_and_ends_every_session(
        client: FlaskClient, user: dict[str, Any], login: Callable[..., str],
        mailbox: Mailbox) -> None:
    assert init(client, user["email"]).json == {}
    token = reset_token(mailbox, user["email"])
    assert len(token) == 20
    assert confirm(client, user["userId"], token).status_code == 204
    assert client.get("/v2/users/self/credentials/password-updated-at",
                      headers=user["headers"]).status_code == 401
    assert login(password=NEW)
    assert mailbox.sent[-1].subject == "Your password was changed"
    assert "reset with a code" in mailbox.sent[-1].body


def test_unknown_address_answers_the_same_and_sends_nothing(
        client: FlaskClient, user: dict[str, Any], mailbox: Mailbox) -> None:
    before = len(mailbox.sent)
    known = init(client, user["email"])
    unknown = init(client, "nobody@example.com")
    assert (unknown.status_code, unknown.json, unknown.headers.get("Content-Type")) == (
        known.status_code, known.json, known.headers.get("Content-Type"))
    assert len(mailbox.sent) == before + 1


def test_the_mail_goes_out_after_the_response(client: FlaskClient, user: dict[str, Any],
                                              mailbox: Mailbox) -> None:
    before = len(mailbox.sent)
    response = client.post(INIT, json={"email": user["email"]})
    assert response.status_code == 201
    assert len(mailbox.sent) == before  # not inside the request's work
    response.close()
    assert len(mailbox.sent) == before + 1


def test_slow_mail_server_does_not_slow_the_answer(make_app: Callable[..., Flask]) -> None:
    class SlowMailer(Mailbox):
        def send(self, mail: Any) -> None:
            if "reset" in mail.subject.lower():
                time.sleep(0.5)
            super().send(mail)

    mailer = SlowMailer()
    client = make_app(mailer=mailer).test_client()
    registered = client.post("/v2/register", json={
        "email": "slow@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    client.post("/v2/verify-registration", json={
        "email": "slow@example.com", "userId": registered.json["userId"],
        "token": mailer.last_code()})
    started = time.perf_counter()
    response = client.post(INIT, json={"email": "slow@example.com"})
    assert time.perf_counter() - started < 0.4
    assert response.status_code == 201
    response.close()
    assert "reset code" in mailer.sent[-1].body


@pytest.mark.parametrize("token", ["A" * 20, "short"])
def test_wrong_token(client: FlaskClient, user: dict[str, Any], mailbox: Mailbox,
                     token: str) -> None:
    init(client, user["email"])
    response = confirm(client, user["userId"], token)
    assert response.status_code == 400
    expected = "WrongPasswordResetToken" if len(token) == 20 else "minLength"
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
        (".token", expected)]


def test_token_is_single_use(client: FlaskClient, user: dict[str, Any],
                             mailbox: Mailbox) -> None:
    init(client, user["email"])
    token = reset_token(mailbox, user["email"])
    assert confirm(client, user["userId"], token).status_code == 204
    again = confirm(client, user["userId"], token, password="yet another passphrase 7")
    assert again.json["validationErrors"][0]["type"] == "WrongPasswordResetToken"


def test_foreign_token_and_unknown_user(client: FlaskClient, register: Callable[..., Any],
                                        mailbox: Mailbox) -> None:
    ada = register("ada@example.com")
    grace = register("grace@example.com")
    init(client, "grace@example.com")
    token = reset_token(mailbox, "grace@example.com")
    assert confirm(client, ada["userId"], token).status_code == 400
    assert confirm(client, str(uuid.uuid4()), token).status_code == 400
    assert confirm(client, grace["userId"], token).status_code == 204


def test_expired_token(app: Flask, client: FlaskClient, user: dict[str, Any],
                       mailbox: Mailbox) -> None:
    init(client, user["email"])
    token = reset_token(mailbox, user["email"])
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        session.execute(update(OneTimeCode).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert confirm(client, user["userId"], token).status_code == 400


def test_a_newer_token_replaces_the_older(client: FlaskClient, user: dict[str, Any],
                                          mailbox: Mailbox) -> None:
    init(client, user["email"])
    first = reset_token(mailbox, user["email"])
    init(client, user["email"])
    assert confirm(client, user["userId"], first).status_code == 400
    assert confirm(client, user["userId"], reset_token(mailbox, user["email"])).status_code \
        == 204


def test_token_dies_when_the_password_changes(client: FlaskClient, user: dict[str, Any],
                                              mailbox: Mailbox) -> None:
    init(client, user["email"])
    token = reset_token(mailbox, user["email"])
    changed = client.put("/v2/users/self/credentials/password", headers=user["headers"],
                         json={"oldPassword": PASSWORD, "newPassword": NEW})
    assert changed.status_code == 200
    response = confirm(client, user["userId"], token, password="yet another passphrase 7")
    assert response.json["validationErrors"][0]["type"] == "WrongPasswordResetToken"


def test_policy_failure_keeps_the_token(client: FlaskClient, user: dict[str, Any],
                                        mailbox: Mailbox) -> None:
    init(client, user["email"])
    token = reset_token(mailbox, user["email"])
    weak = confirm(client, user["userId"], token, password="passwordpassword")
    assert [(e["path"], e["type"]) for e in weak.json["validationErrors"]] == [
        (".password", "PasswordIsLeaked")]
    assert confirm(client, user["userId"], token).status_code == 204


def test_guesses_burn_the_token(client: FlaskClient, user: dict[str, Any],
                                mailbox: Mailbox) -> None:
    init(client, user["email"])
    token = reset_token(mailbox, user["email"])
    for _ in range(5):  # USERCORE_CODE_MAX_ATTEMPTS
        assert confirm(client, user["userId"], "B" * 20).status_code == 400
    assert confirm(client, user["userId"], token).status_code == 400


def test_unverified_account_gets_no_reset_mail(client: FlaskClient,
                                               register: Callable[..., Any],
                                               mailbox: Mailbox) -> None:
    register("new@example.com", verify=False)
    before = len(mailbox.sent)
    assert init(client, "new@example.com").status_code == 201
    assert len(mailbox.sent) == before


def test_a_token_of_an_unverified_account_is_refused_on_the_user_id(
        app: Flask, client: FlaskClient, register: Callable[..., Any]) -> None:
    # the service names the command field user_id; the answer has its wire path
    user_id = register("new@example.com", verify=False)["userId"]
    with app.app_context():
        deps = app.extensions["usercore"].deps
        token = issue_code(deps, uuid.UUID(user_id), CodePurpose.PASSWORD_RESET,
                           code=new_reset_token())
        commit(deps.session)
    response = confirm(client, user_id, token)
    assert response.status_code == 400
    assert response.json["validationErrors"] == [{
        "path": ".userId", "type": "EmailAddressNotVerified",
        "message": "the e-mail address is not verified yet"}]


def test_reset_mail_keeps_names_on_one_line_and_escapes_html(
        client: FlaskClient, mailbox: Mailbox, register: Callable[..., Any]) -> None:
    response = client.post("/v2/register", json={
        "email": "evil@example.com", "password": PASSWORD,
        "person": {"firstName": "<b>Eve</b>", "lastName": "X"}})
    assert response.status_code == 201
    client.post("/v2/verify-registration", json={
        "email": "evil@example.com", "userId": response.json["userId"],
        "token": mailbox.last_code("evil@example.com")})
    init(client, "evil@example.com")
    mail = mailbox.sent[-1]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in (mail.html or "")
    assert "<b>Eve</b>" not in (mail.html or "")
