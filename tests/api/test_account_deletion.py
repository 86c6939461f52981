"""``DELETE /v2/users/self``: checks first, then every row of the account is gone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.models import Base, MfaSecret, RecoveryCode
from flask_usercore.security.codes import hash_code
from flask_usercore.services.mfa import RECOVERY_PURPOSE
from tests.conftest import PASSWORD, enable_mfa

Register = Callable[..., dict[str, Any]]
Login = Callable[..., str]
HEADER = "x-apitree-password"


def add_recovery_code(app: Flask, user_id: str, code: str) -> None:
    state = app.extensions["usercore"]
    with app.app_context():
        state.core.db.session.add(RecoveryCode(
            user_id=uuid.UUID(user_id),
            code_hash=hash_code(state.config.secret_key, RECOVERY_PURPOSE, code)))
        state.core.db.session.commit()


def rows_of(app: Flask, user_id: str) -> dict[str, int]:
    """How many rows of each table belong to the user (by any foreign key to the users table,
    or being the user row itself)."""
    wanted = uuid.UUID(user_id)
    counts: dict[str, int] = {}
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c
                       if any(fk.column.table.name == "usercore_users" for fk in c.foreign_keys)]
            if table.name == "usercore_users":
                columns.append(table.c.id)
            for column in columns:
                key = f"{table.name}.{column.name}"
                counts[key] = int(session.scalar(
                    select(func.count()).select_from(table).where(column == wanted)))
    return counts


def delete(client: FlaskClient, user: dict[str, Any], body: Any = None,
           headers: dict[str, str] | None = None) -> Any:
    kwargs: dict[str, Any] = {"headers": {**user["headers"], **(headers or {})}}
    if body is not None:
        kwargs["json"] = body
    return client.delete("/v2/users/self", **kwargs)


def assert_error(response: Any, path: str, kind: str) -> None:
    assert response.status_code == 400, response.json
    assert response.json["type"] == "ValidationError"
    assert response.json["code"] == 400
    assert isinstance(response.json["message"], str)
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [(path, kind)]


def assert_alive(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get("/v2/users/self", headers=user["headers"])
    assert response.status_code == 200
    assert response.json["userId"] == user["userId"]


def assert_gone(client: FlaskClient, app: Flask, user: dict[str, Any]) -> None:
    counts = rows_of(app, user["userId"])
    assert counts and not any(counts.values()), counts
    response = client.get("/v2/users/self", headers=user["headers"])
    assert response.status_code == 401
    assert response.json["type"] == "Unauthorized"
    login = client.post("/v2/authenticate",
                        json={"email": user["email"], "password": user["password"]})
    assert login.status_code == 401
    assert login.json["validationErrors"][0]["type"] == "WrongCredentials"


class TestDeleteAccount:
    def test_password_in_body(self, client: FlaskClient, app: Flask,
                              user: dict[str, Any]) -> None:
        response = delete(client, user, {"password": PASSWORD})
        assert response.status_code == 200
        assert response.data == b""
        assert_gone(client, app, user)

    def test_password_in_header(self, client: FlaskClient, app: Flask,
                                user: dict[str, Any]) -> None:
        response = delete(client, user, {}, headers={HEADER: PASSWORD})
        assert response.status_code == 200
        assert response.data == b""
        assert_gone(client, app, user)

    @pytest.mark.parametrize("content_type", ["application/json",
                                              "application/x-www-form-urlencoded"])
    def test_password_in_header_without_body(self, client: FlaskClient, app: Flask,
                                             user: dict[str, Any], content_type: str) -> None:
        response = client.delete("/v2/users/self", data=b"", headers={
            **user["headers"], HEADER: PASSWORD, "Content-Type": content_type})
        assert response.status_code == 200
        assert_gone(client, app, user)

    def test_body_password_wins_over_header(self, client: FlaskClient,
                                            user: dict[str, Any]) -> None:
        response = delete(client, user, {"password": "wrong password here"},
                          headers={HEADER: PASSWORD})
        assert_error(response, ".password", "WrongPassword")
        assert_alive(client, user)

    @pytest.mark.parametrize("short", ["a", "abcde"])
    def test_header_password_shorter_than_six(self, client: FlaskClient,
                                              user: dict[str, Any], short: str) -> None:
        response = delete(client, user, {}, headers={HEADER: short})
        assert_error(response, ".password", "minLength")
        assert_alive(client, user)

    def test_empty_body_password(self, client: FlaskClient, user: dict[str, Any]) -> None:
        response = delete(client, user, {"password": ""})
        assert_error(response, ".password", "minLength")
        assert_alive(client, user)

    @pytest.mark.parametrize("password", ["wrong password", PASSWORD.upper(), PASSWORD + " "])
    @pytest.mark.parametrize("where", ["body", "header"])
    def test_wrong_password(self, client: FlaskClient, user: dict[str, Any],
                            password: str, where: str) -> None:
        if where == "body":
            response = delete(client, user, {"password": password})
        else:
            response = delete(client, user, {}, headers={HEADER: password})
        assert_error(response, ".password", "WrongPassword")
        assert_alive(client, user)

    def test_no_password_at_all(self, client: FlaskClient, user: dict[str, Any]) -> None:
        response = delete(client, user, {})
        assert_error(response, ".password", "required")
        assert response.json["validationErrors"][0]["context"] == {"missingProperty": "password"}
        assert_alive(client, user)

    def test_requires_a_token(self, client: FlaskClient, user: dict[str, Any]) -> None:
        response = client.delete("/v2/users/self", json={"password": PASSWORD})
        assert response.status_code == 401
        assert response.json["type"] == "Unauthorized"
        assert_alive(client, user)

    def test_every_row_of_the_user_is_gone_and_others_stay(
            self, client: FlaskClient, app: Flask, register: Register, login: Login,
            user: dict[str, Any]) -> None:
        login()  # a second session
        grace = register("grace@example.com", nickname="grace")
        grace_token = login("grace@example.com")
        enable_mfa(app, grace["userId"])
        add_recovery_code(app, grace["userId"], "ABCDEFGHJKLMNPQR")
        with app.app_context():  # Ada: MFA set up but not confirmed, plus a recovery code
            state = app.extensions["usercore"]
            state.core.db.session.add(MfaSecret(
                user_id=uuid.UUID(user["userId"]),
                secret_encrypted=state.deps.box.encrypt(pyotp.random_base32())))
            state.core.db.session.commit()
        add_recovery_code(app, user["userId"], "ZYXWVUTSRQPNMLKJ")
        before = rows_of(app, user["userId"])
        for table in ("usercore_users.id", "usercore_credentials.user_id",
                      "usercore_one_time_codes.user_id", "usercore_mfa_secrets.user_id",
                      "usercore_recovery_codes.user_id"):
            assert before[table] >= 1, (table, before)
        assert before["usercore_credentials.user_id"] == 2
        grace_before = rows_of(app, grace["userId"])

        response = delete(client, user, {"password": PASSWORD})
        assert response.status_code == 200
        assert_gone(client, app, user)
        assert rows_of(app, grace["userId"]) == grace_before
        assert client.get("/v2/users/self",
                          headers={"x-access-token": grace_token}).status_code == 200

    def test_email_and_nickname_are_free_again(self, client: FlaskClient, app: Flask,
                                               register: Register, login: Login) -> None:
        facts = register(nickname="ada")
        user = {**facts, "headers": {"x-access-token": login()}}
        assert delete(client, user, {"password": PASSWORD}).status_code == 200
        assert register(nickname="ADA")["userId"] != facts["userId"]

    def test_user_deleted_signal(self, client: FlaskClient, app: Flask,
                                 user: dict[str, Any]) -> None:
        received: list[dict[str, Any]] = []

        def receiver(sender: Any, **kwargs: Any) -> None:
            received.append({"sender": sender, **kwargs})

        with signals.user_deleted.connected_to(receiver, sender=app):
            delete(client, user, {"password": "wrong password"})
            assert received == []
            assert delete(client, user, {"password": PASSWORD}).status_code == 200
        assert received == [{"sender": app, "user_id": uuid.UUID(user["userId"]),
                             "email": user["email"]}]


class TestDeleteAccountWithMfa:
    @pytest.fixture
    def secret(self, app: Flask, user: dict[str, Any]) -> str:
        return enable_mfa(app, user["userId"])

    def test_without_code_asks_for_second_factor(self, client: FlaskClient, app: Flask,
                                                 user: dict[str, Any], secret: str) -> None:
        response = delete(client, user, {"password": PASSWORD})
        assert response.status_code == 202
        assert set(response.json) == {"name", "message"}
        assert response.json["name"] == "SecondFactorRequired"
        assert isinstance(response.json["message"], str) and response.json["message"]
        assert_alive(client, user)

    def test_wrong_password_is_checked_before_the_code(
            self, client: FlaskClient, user: dict[str, Any], secret: str) -> None:
        response = delete(client, user, {"password": "wrong password"})
        assert_error(response, ".password", "WrongPassword")

    def test_valid_totp_code(self, client: FlaskClient, app: Flask, user: dict[str, Any],
                             secret: str) -> None:
        response = delete(client, user, {"password": PASSWORD,
                                         "multiFactorCode": pyotp.TOTP(secret).now()})
        assert response.status_code == 200
        assert response.data == b""
        assert_gone(client, app, user)

    def test_valid_totp_code_with_header_password(self, client: FlaskClient, app: Flask,
                                                  user: dict[str, Any], secret: str) -> None:
        response = delete(client, user, {"multiFactorCode": pyotp.TOTP(secret).now()},
                          headers={HEADER: PASSWORD})
        assert response.status_code == 200
        assert_gone(client, app, user)

    def test_recovery_code(self, client: FlaskClient, app: Flask, user: dict[str, Any],
                           secret: str) -> None:
        add_recovery_code(app, user["userId"], "ABCDEFGHJKLMNPQR")
        response = delete(client, user, {"password": PASSWORD,
                                         "multiFactorCode": "ABCDEFGHJKLMNPQR"})
        assert response.status_code == 200
        assert_gone(client, app, user)

    @pytest.mark.parametrize("code", ["000000", "12345678", "ABCDEFGHJKLMNPQR"])
    def test_wrong_code(self, client: FlaskClient, user: dict[str, Any], secret: str,
                        code: str) -> None:
        while pyotp.TOTP(secret).verify(code, valid_window=1):  # a one-in-300,000 collision
            code = str((int(code) + 1) % 1_000_000).zfill(6)
        response = delete(client, user, {"password": PASSWORD, "multiFactorCode": code})
        assert_error(response, ".multiFactorCode", "MfaCodeNotValid")
        assert_alive(client, user)

    def test_totp_code_of_another_secret(self, client: FlaskClient, user: dict[str, Any],
                                         secret: str) -> None:
        code = pyotp.TOTP(pyotp.random_base32()).now()
        while pyotp.TOTP(secret).verify(code, valid_window=1):  # a one-in-300,000 collision
            code = pyotp.TOTP(pyotp.random_base32()).now()
        response = delete(client, user, {"password": PASSWORD, "multiFactorCode": code})
        assert_error(response, ".multiFactorCode", "MfaCodeNotValid")
        assert_alive(client, user)

    @pytest.mark.parametrize("code", ["12345", "1" * 17])
    def test_code_length_is_validated(self, client: FlaskClient, user: dict[str, Any],
                                      secret: str, code: str) -> None:
        response = delete(client, user, {"password": PASSWORD, "multiFactorCode": code})
        assert response.status_code == 400
        assert [e["path"] for e in response.json["validationErrors"]] == [".multiFactorCode"]
        assert_alive(client, user)
