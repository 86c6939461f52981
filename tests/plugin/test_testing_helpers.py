"""``flask_usercore.testing``: the helpers and fixtures a host's tests use (the fixtures
come from this folder's ``conftest.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.errors import ValidationFailed
from flask_usercore.testing import (
    DEFAULT_PASSWORD,
    CreatedUser,
    MailOutbox,
    SmsOutbox,
    UserCoreClient,
    client_for,
    login,
    make_user,
    run_after_response,
)
from tests.contract.validation import ContractClient

ROOT = Path(__file__).resolve().parents[2]
RESET = "/v2/users/self/credentials/actions/init-password-reset"
MOBILE = "+491701234567"


def test_the_user_is_verified_and_logs_in_with_its_password(
        usercore_client: UserCoreClient, usercore_user: CreatedUser) -> None:
    assert usercore_user.password == DEFAULT_PASSWORD
    assert usercore_user.email.endswith("@example.com")
    response = usercore_client.post("/v2/authenticate", json={
        "email": usercore_user.email, "password": usercore_user.password})
    assert response.status_code == 200


def test_made_users_have_what_they_were_given(
        usercore_make_user: Callable[..., CreatedUser],
        usercore_login: Callable[..., UserCoreClient]) -> None:
    user = usercore_make_user("grace@example.com", first_name="Grace", last_name="Hopper",
                              nickname="amazing_grace", company="Navy")
    me = usercore_login(user).get("/v2/users/self").json
    assert (me["id"], me["email"], me["person"], me["nickname"], me["company"]) == (
        str(user.id), "grace@example.com", {"firstName": "Grace", "lastName": "Hopper"},
        "amazing_grace", "Navy")


def test_the_rules_of_registration_hold(usercore_make_user: Callable[..., CreatedUser],
                                        usercore_client: UserCoreClient) -> None:
    user = usercore_make_user("ada@example.com", verified=False)
    with pytest.raises(ValidationFailed):
        usercore_make_user("ada@example.com")
    with pytest.raises(ValidationFailed):
        usercore_make_user(password="short")
    refused = usercore_client.post("/v2/authenticate", json={
        "email": user.email, "password": user.password})
    assert refused.status_code == 401
    assert refused.json["validationErrors"][0]["type"] == "EmailAddressNotVerified"


def test_the_logged_in_client_sends_its_token(usercore_logged_in_client: UserCoreClient,
                                              usercore_user: CreatedUser) -> None:
    assert usercore_logged_in_client.token
    me = usercore_logged_in_client.get("/v2/users/self")
    assert me.status_code == 200 and me.json["email"] == usercore_user.email
    assert len(usercore_logged_in_client.get("/v2/users/self/sessions").json) == 1


def test_a_cookie_login_may_change_things(usercore_login: Callable[..., UserCoreClient],
                                          usercore_user: CreatedUser) -> None:
    client = usercore_login(usercore_user, cookie=True)
    assert "HTTP_AUTHORIZATION" not in client.environ_base
    assert client.put("/v2/users/self", json={"nickname": "ada"}).status_code == 204
    assert client.get("/v2/users/self").json["nickname"] == "ada"


def test_login_takes_an_id_and_gives_a_token(app: Flask, usercore_user: CreatedUser,
                                             usercore_client: UserCoreClient) -> None:
    token = login(app, usercore_user.id)
    response = usercore_client.get("/v2/users/self", headers={"x-access-token": token})
    assert response.json["id"] == str(usercore_user.id)


def test_the_reset_mail_is_there_when_the_call_returns(
        usercore_client: UserCoreClient, usercore_user: CreatedUser,
        usercore_mail: MailOutbox) -> None:
    response = usercore_client.post(RESET, json={"email": usercore_user.email})
    assert response.status_code == 201 and response.json == {}
    mail = usercore_mail.last(to=usercore_user.email)
    assert mail.subject == "Reset your password"
    token = usercore_mail.code(to=usercore_user.email)
    assert len(token) == 20
    confirmed = usercore_client.post("/v2/users/self/credentials/password/confirm-reset",
                                     json={"userId": str(usercore_user.id), "token": token,
                                           "password": "a brand new passphrase 42"})
    assert confirmed.status_code == 204
    assert usercore_mail.last().subject == "Your password was changed"
    assert [m.subject for m in usercore_mail.to(usercore_user.email)] == [
        "Reset your password", "Your password was changed"]


def test_a_plain_client_runs_it_with_run_after_response(
        app: Flask, usercore_user: CreatedUser, usercore_mail: MailOutbox) -> None:
    import gc

    response = app.test_client().post(RESET, json={"email": usercore_user.email})
    assert len(usercore_mail) == 0
    assert run_after_response(response) is response
    assert len(usercore_mail) == 1
    del response
    gc.collect()
    assert len(usercore_mail) == 1  # closed, then dropped: it ran once


def test_the_work_runs_once_when_a_server_drops_the_answer_without_closing_it(
        app: Flask, usercore_user: CreatedUser, usercore_mail: MailOutbox) -> None:
    """Werkzeug's development server skips ``close()`` when the client resets the
    connection after reading the answer (a browser following a redirect, now and then):
    the work runs when the answer is dropped instead."""
    import gc

    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=RESET, method="POST",
                             json={"email": usercore_user.email}).get_environ()
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert b"".join(body).strip() == b"{}" and statuses == ["201 CREATED"]
    assert len(usercore_mail) == 0  # sent, not closed
    del body
    gc.collect()
    assert [mail.subject for mail in usercore_mail.to(usercore_user.email)] == [
        "Reset your password"]


def test_unbuffered_calls_are_the_callers_to_close(
        usercore_client: UserCoreClient, usercore_user: CreatedUser,
        usercore_mail: MailOutbox) -> None:
    response = usercore_client.post(RESET, json={"email": usercore_user.email},
                                    buffered=False)
    assert len(usercore_mail) == 0
    run_after_response(response)
    assert len(usercore_mail) == 1


def test_the_mail_outbox_counts_from_its_start_and_can_be_cleared(
        app: Flask, usercore_client: UserCoreClient, usercore_mail: MailOutbox) -> None:
    with pytest.raises(AssertionError, match="no mail was sent"):
        usercore_mail.last()
    registered = usercore_client.post("/v2/register", json={
        "email": "ada@example.com", "password": DEFAULT_PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    later = MailOutbox.of(app)
    assert len(usercore_mail) == 1 and len(later) == 0
    code = usercore_mail.code("ada@example.com")
    assert code.isdigit() and len(code) == 8
    mail = usercore_mail.last()
    assert mail.html is not None and code in mail.html
    assert list(usercore_mail) == usercore_mail.messages == [mail]
    usercore_mail.clear()
    assert usercore_mail.messages == []
    with pytest.raises(AssertionError, match=r"no mail was sent to ada@example\.com"):
        usercore_mail.code(to="ada@example.com")
    assert usercore_client.post("/v2/verify-registration", json={
        "email": "ada@example.com", "userId": registered.json["userId"],
        "token": code}).status_code == 200


def test_links_are_read_from_the_mail(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app({"USERCORE_MAIL_OUTBOX": str(tmp_path / "mail"),
                    "USERCORE_PUBLIC_URL": "https://app.example.com",
                    "USERCORE_MAIL_LINKS": {"password-reset": "/#/reset/{user_id}/{token}"}},
                   mailer=None)
    user = make_user(app)
    outbox = MailOutbox.of(app)
    client_for(app).post(RESET, json={"email": user.email})
    token = outbox.code()
    assert outbox.links() == [f"https://app.example.com/#/reset/{user.id}/{token}"]


def test_the_sms_outbox(usercore_logged_in_client: UserCoreClient, usercore_sms: SmsOutbox,
                        usercore_user: CreatedUser) -> None:
    with pytest.raises(AssertionError, match="no SMS was sent"):
        usercore_sms.code()
    added = usercore_logged_in_client.post("/v2/users/self/phone",
                                           json={"phoneNumber": MOBILE})
    assert added.status_code == 204
    sms = usercore_sms.last(to=MOBILE)
    assert sms.to == MOBILE and "code is" in sms.text
    verified = usercore_logged_in_client.post("/v2/users/self/actions/verify-phone", json={
        "phoneNumber": MOBILE, "code": usercore_sms.code(MOBILE)})
    assert verified.status_code == 204
    assert usercore_logged_in_client.get("/v2/users/self").json["phoneNumber"] == MOBILE


def test_an_outbox_the_helpers_cannot_read_is_named(make_app: Callable[..., Flask]) -> None:
    app = make_app()  # tests/conftest.py's own Mailbox, and SMS logged
    with pytest.raises(TypeError, match=r"USERCORE_MAIL_OUTBOX.*RecordingMailer"):
        MailOutbox.of(app)
    with pytest.raises(TypeError, match=r"USERCORE_SMS_OUTBOX.*RecordingSmsSender"):
        SmsOutbox.of(app)


def test_the_hosts_client_class_is_kept(app: Flask, usercore_client: UserCoreClient) -> None:
    # tests/conftest.py's apps check every answer against mittwald's document
    assert isinstance(usercore_client, ContractClient)
    assert isinstance(usercore_client, UserCoreClient)
    assert type(client_for(app)) is type(usercore_client)
    plain = Flask("plain")
    assert type(client_for(plain)) is UserCoreClient
    assert issubclass(UserCoreClient, FlaskClient)


def test_usercore_app_is_the_hosts_app(app: Flask, usercore_app: Flask) -> None:
    assert usercore_app is app


@pytest.mark.parametrize("app", ["recording"], indirect=True)
def test_a_made_user_is_no_registration(usercore_user: CreatedUser,
                                        usercore_mail: MailOutbox, app: Flask) -> None:
    assert uuid.UUID(str(usercore_user.id))
    assert len(usercore_mail) == 0  # no verification mail for a made user


def test_the_package_never_imports_the_testing_module(tmp_path: Path) -> None:
    code = """
import json, sys
import example_app
app = example_app.create_app()
app.test_client().get("/v2/password-policies/mittwald")
print(json.dumps(sorted(m for m in sys.modules
                        if m.split(".")[0] in ("pytest", "_pytest", "flask_usercore"))))
"""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'lean.db'}",
           "USERCORE_MAIL_OUTBOX": str(tmp_path / "outbox"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "flask_usercore.web.host_views" in loaded  # it did import the package
    assert [m for m in loaded if m == "flask_usercore.testing" or "pytest" in m] == []
