"""Login, logout and the token checks through the Flask test client."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.models import Credential, User, utcnow
from flask_usercore.security.passwords import PasswordHasher
from tests.conftest import PASSWORD, enable_mfa

Register = Callable[..., dict[str, Any]]
Login = Callable[..., str]
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LOGIN = {"email": "ada@example.com", "password": PASSWORD}


def credential_count(app: Flask) -> int:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        return int(session.scalar(select(func.count()).select_from(Credential)))


def password_hash(app: Flask, user_id: str) -> str:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        user = session.get(User, uuid.UUID(user_id))
        assert user is not None
        return user.password_hash


def assert_401(response: Any, kind: str) -> None:
    """The 401 of authenticate: ValidationErrors shape, no top-level ``message``."""
    assert response.status_code == 401
    assert response.is_json
    body = response.json
    assert set(body) == {"type", "code", "validationErrors"}
    assert (body["type"], body["code"]) == ("ValidationError", 401)
    [item] = body["validationErrors"]
    assert set(item) == {"path", "type", "message"}
    assert (item["path"], item["type"]) == ("", kind)
    assert isinstance(item["message"], str) and item["message"]


def parse_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    """``(name, value, {attribute-lowercased: value})`` of one Set-Cookie header."""
    first, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    attrs = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        attrs[key.lower()] = val
    return name, value, attrs


class TestAuthenticate:
    def test_token_refresh_token_and_expiry(self, client: FlaskClient, app: Flask,
                                            register: Register) -> None:
        register()
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        response = client.post("/v2/authenticate", json=LOGIN)
        assert response.status_code == 200
        body = response.json
        assert set(body) == {"token", "refreshToken", "expires"}
        assert isinstance(body["token"], str) and len(body["token"]) >= 32
        assert isinstance(body["refreshToken"], str) and len(body["refreshToken"]) >= 32
        assert body["token"] != body["refreshToken"]
        assert RFC3339_Z.match(body["expires"]), body["expires"]
        expires = dt.datetime.fromisoformat(body["expires"])
        ttl = app.extensions["usercore"].config.access_token_ttl
        assert before + dt.timedelta(seconds=ttl) <= expires
        assert expires <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl)
        assert credential_count(app) == 1

    def test_every_login_is_a_new_session(self, client: FlaskClient, app: Flask,
                                          register: Register, login: Login) -> None:
        register()
        assert login() != login()
        assert credential_count(app) == 2

    def test_email_ignores_case(self, client: FlaskClient, register: Register) -> None:
        register()
        response = client.post("/v2/authenticate",
                               json={"email": "ADA@Example.com", "password": PASSWORD})
        assert response.status_code == 200, response.json

    def test_public_operation_ignores_a_bad_token(self, client: FlaskClient,
                                                  register: Register) -> None:
        register()
        response = client.post("/v2/authenticate", json=LOGIN,
                               headers={"x-access-token": "garbage",
                                        "Authorization": "Bearer garbage"})
        assert response.status_code == 200, response.json

    @pytest.mark.parametrize("body", [
        {"email": "ada@example.com", "password": PASSWORD + "x"},
        {"email": "ada@example.com", "password": PASSWORD.upper()},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "not-even-an-address", "password": PASSWORD},
    ], ids=["wrong-password", "password-case", "unknown-email", "no-address"])
    def test_wrong_credentials(self, client: FlaskClient, app: Flask, register: Register,
                               body: dict[str, str]) -> None:
        register()
        response = client.post("/v2/authenticate", json=body)
        assert_401(response, "WrongCredentials")
        assert credential_count(app) == 0

    def test_wrong_password_and_unknown_email_answer_the_same(
            self, client: FlaskClient, register: Register) -> None:
        register()
        wrong = client.post("/v2/authenticate", json={**LOGIN, "password": "nope nope nope"})
        unknown = client.post("/v2/authenticate", json={**LOGIN, "email": "eve@example.com"})
        assert wrong.json == unknown.json
        assert wrong.status_code == unknown.status_code == 401

    def test_unverified_email(self, client: FlaskClient, app: Flask,
                              register: Register) -> None:
        register(verify=False)
        response = client.post("/v2/authenticate", json=LOGIN)
        assert_401(response, "EmailAddressNotVerified")
        assert credential_count(app) == 0

    def test_unverified_email_with_wrong_password_is_wrong_credentials(
            self, client: FlaskClient, register: Register) -> None:
        register(verify=False)
        response = client.post("/v2/authenticate", json={**LOGIN, "password": "x" * 20})
        assert_401(response, "WrongCredentials")

    class TestVerificationNotRequired:
        @pytest.fixture
        def app(self, make_app: Callable[..., Flask]) -> Flask:
            return make_app({"USERCORE_REQUIRE_VERIFIED_EMAIL": False})

        def test_unverified_user_logs_in(self, client: FlaskClient,
                                         register: Register) -> None:
            register(verify=False)
            assert client.post("/v2/authenticate", json=LOGIN).status_code == 200

    def test_mfa_active_asks_for_second_factor(self, client: FlaskClient, app: Flask,
                                               register: Register) -> None:
        user_id = register()["userId"]
        enable_mfa(app, user_id)
        response = client.post("/v2/authenticate", json=LOGIN)
        assert response.status_code == 202
        assert set(response.json) == {"name", "message"}
        assert response.json["name"] == "SecondFactorRequired"
        assert isinstance(response.json["message"], str) and response.json["message"]
        assert credential_count(app) == 0

    def test_mfa_second_factor_comes_after_the_password(self, client: FlaskClient, app: Flask,
                                                        register: Register) -> None:
        user_id = register()["userId"]
        enable_mfa(app, user_id)
        response = client.post("/v2/authenticate", json={**LOGIN, "password": "x" * 20})
        assert_401(response, "WrongCredentials")

    def test_mfa_set_up_but_unconfirmed_does_not_ask(self, client: FlaskClient, app: Flask,
                                                     register: Register) -> None:
        user_id = register()["userId"]
        enable_mfa(app, user_id, confirmed=False)
        assert client.post("/v2/authenticate", json=LOGIN).status_code == 200

    def test_cookie_only_over_http(self, client: FlaskClient, app: Flask,
                                   register: Register) -> None:
        register()
        response = client.post("/v2/authenticate?cookieOnly=true", json=LOGIN)
        assert response.status_code == 204
        assert response.data == b""
        assert "Content-Type" not in response.headers
        [header] = response.headers.getlist("Set-Cookie")
        name, value, attrs = parse_cookie(header)
        assert name == "x-access-token"
        assert value
        assert "httponly" in attrs
        assert attrs["samesite"] == "Lax"
        assert attrs["path"] == "/"
        assert "expires" in attrs
        assert "secure" not in attrs
        assert credential_count(app) == 1
        own = client.get("/v2/users/self", headers={"x-access-token": value})
        assert own.status_code == 200

    def test_cookie_only_over_https_is_secure(self, client: FlaskClient,
                                              register: Register) -> None:
        register()
        response = client.post("/v2/authenticate?cookieOnly=true", json=LOGIN,
                               base_url="https://localhost")
        assert response.status_code == 204
        assert response.data == b""
        name, value, attrs = parse_cookie(response.headers["Set-Cookie"])
        assert name == "x-access-token" and value
        assert "secure" in attrs
        assert "httponly" in attrs
        assert attrs["samesite"] == "Lax"

    def test_cookie_only_false_returns_the_body(self, client: FlaskClient,
                                                register: Register) -> None:
        register()
        response = client.post("/v2/authenticate?cookieOnly=false", json=LOGIN)
        assert response.status_code == 200
        assert "token" in response.json
        assert "Set-Cookie" not in response.headers

    def test_cookie_only_refused_login_sets_no_cookie(self, client: FlaskClient,
                                                      register: Register) -> None:
        register()
        response = client.post("/v2/authenticate?cookieOnly=true",
                               json={**LOGIN, "password": "x" * 20})
        assert_401(response, "WrongCredentials")
        assert "Set-Cookie" not in response.headers

    class TestCookieSameSite:
        @pytest.fixture
        def app(self, make_app: Callable[..., Flask]) -> Flask:
            return make_app({"USERCORE_COOKIE_SAMESITE": "Strict"})

        def test_configured_same_site(self, client: FlaskClient, register: Register) -> None:
            register()
            response = client.post("/v2/authenticate?cookieOnly=true", json=LOGIN)
            assert parse_cookie(response.headers["Set-Cookie"])[2]["samesite"] == "Strict"

    @pytest.mark.parametrize("header", [
        lambda t: {"x-access-token": t},
        lambda t: {"Authorization": f"Bearer {t}"},
        lambda t: {"Authorization": f"bearer {t}"},
    ], ids=["x-access-token", "bearer", "bearer-lowercase"])
    def test_token_is_accepted_in_either_header(
            self, client: FlaskClient, register: Register, login: Login,
            header: Callable[[str], dict[str, str]]) -> None:
        user_id = register()["userId"]
        response = client.get("/v2/users/self", headers=header(login()))
        assert response.status_code == 200
        assert response.json["userId"] == user_id

    def test_rehash_when_argon2_parameters_change(
            self, client: FlaskClient, app: Flask, make_app: Callable[..., Flask],
            register: Register) -> None:
        user_id = register()["userId"]
        old_hash = password_hash(app, user_id)
        assert "m=64,t=1,p=1" in old_hash
        stronger = make_app({"USERCORE_ARGON2_TIME_COST": 2,
                             "USERCORE_ARGON2_MEMORY_COST": 128})
        stronger.test_client_class = type(client)  # the same response checks as ``client``
        response = stronger.test_client().post("/v2/authenticate", json=LOGIN)
        assert response.status_code == 200, response.json
        new_hash = password_hash(stronger, user_id)
        assert new_hash != old_hash
        assert new_hash.startswith("$argon2id$") and "m=128,t=2,p=1" in new_hash
        hasher = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
        assert hasher.verify(new_hash, PASSWORD)
        assert not hasher.needs_rehash(new_hash)
        again = stronger.test_client().post("/v2/authenticate", json=LOGIN)
        assert again.status_code == 200
        assert password_hash(stronger, user_id) == new_hash

    def test_no_rehash_with_the_same_parameters(self, client: FlaskClient, app: Flask,
                                                register: Register, login: Login) -> None:
        user_id = register()["userId"]
        old_hash = password_hash(app, user_id)
        login()
        assert password_hash(app, user_id) == old_hash

    def test_no_rehash_on_wrong_password(self, client: FlaskClient, app: Flask,
                                         make_app: Callable[..., Flask],
                                         register: Register) -> None:
        user_id = register()["userId"]
        old_hash = password_hash(app, user_id)
        stronger = make_app({"USERCORE_ARGON2_TIME_COST": 2})
        stronger.test_client_class = type(client)
        response = stronger.test_client().post("/v2/authenticate",
                                               json={**LOGIN, "password": "x" * 20})
        assert response.status_code == 401
        assert password_hash(stronger, user_id) == old_hash


class TestLogout:
    def test_logout_ends_the_session(self, client: FlaskClient, app: Flask,
                                     user: dict[str, Any]) -> None:
        response = client.put("/v2/logout", headers=user["headers"])
        assert response.status_code == 204
        assert response.data == b""
        assert credential_count(app) == 0
        after = client.get("/v2/users/self", headers=user["headers"])
        assert after.status_code == 401
        assert after.json["type"] == "Unauthorized"
        assert after.json["code"] == 401
        again = client.put("/v2/logout", headers=user["headers"])
        assert again.status_code == 401
        assert again.json["type"] == "Unauthorized"

    def test_other_sessions_survive(self, client: FlaskClient, user: dict[str, Any],
                                    login: Login) -> None:
        other = login()
        assert client.put("/v2/logout", headers=user["headers"]).status_code == 204
        assert client.get("/v2/users/self",
                          headers={"x-access-token": other}).status_code == 200

    @pytest.mark.parametrize("content_type", [
        "application/json", "application/x-www-form-urlencoded", None])
    def test_empty_body_is_accepted(self, client: FlaskClient, user: dict[str, Any],
                                    content_type: str | None) -> None:
        headers = {**user["headers"], "Content-Length": "0"}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.put("/v2/logout", headers=headers, data=b"")
        assert response.status_code == 204, response.json
        assert client.get("/v2/users/self", headers=user["headers"]).status_code == 401

    def test_empty_json_object_is_accepted(self, client: FlaskClient,
                                           user: dict[str, Any]) -> None:
        response = client.put("/v2/logout", headers=user["headers"], json={})
        assert response.status_code == 204

    def test_logout_with_x_access_token(self, client: FlaskClient,
                                        user: dict[str, Any]) -> None:
        headers = {"x-access-token": user["token"]}
        assert client.put("/v2/logout", headers=headers).status_code == 204
        assert client.get("/v2/users/self", headers=headers).status_code == 401


class TestTokenChecks:
    def test_check_token(self, client: FlaskClient, user: dict[str, Any]) -> None:
        response = client.post("/v2/users/self/credentials/token", headers=user["headers"])
        assert response.status_code == 200
        assert set(response.json) == {"id", "publicToken"}
        assert str(uuid.UUID(response.json["id"])) == response.json["id"]
        assert response.json["publicToken"] == user["token"]

    @pytest.mark.parametrize("content_type", [
        "application/json", "application/x-www-form-urlencoded"])
    def test_check_token_with_empty_body(self, client: FlaskClient, user: dict[str, Any],
                                         content_type: str) -> None:
        response = client.post("/v2/users/self/credentials/token", data=b"",
                               headers={**user["headers"], "Content-Type": content_type})
        assert response.status_code == 200

    def test_session_status(self, client: FlaskClient, user: dict[str, Any]) -> None:
        token_id = client.post("/v2/users/self/credentials/token",
                               headers=user["headers"]).json["id"]
        response = client.get("/v2/users/self/sessions/current/status",
                              headers=user["headers"])
        assert response.status_code == 200
        assert response.json == {"userId": user["userId"], "tokenId": token_id,
                                 "isImpersonated": False, "isEmployee": False}

    def test_each_session_has_its_own_token_id(self, client: FlaskClient,
                                               user: dict[str, Any], login: Login) -> None:
        other = {"x-access-token": login()}
        path = "/v2/users/self/sessions/current/status"
        first = client.get(path, headers=user["headers"]).json
        second = client.get(path, headers=other).json
        assert first["userId"] == second["userId"] == user["userId"]
        assert first["tokenId"] != second["tokenId"]

    def test_expired_token_is_refused(self, client: FlaskClient, app: Flask,
                                      user: dict[str, Any]) -> None:
        with app.app_context():
            session = app.extensions["usercore"].core.db.session
            credential = session.scalars(select(Credential)).one()
            credential.expires_at = utcnow() - dt.timedelta(seconds=1)
            session.commit()
        response = client.get("/v2/users/self/sessions/current/status",
                              headers=user["headers"])
        assert response.status_code == 401
        assert response.json["type"] == "Unauthorized"


class TestSignals:
    @staticmethod
    def recorder(received: list[dict[str, Any]]) -> Callable[..., None]:
        def receiver(sender: Any, **kwargs: Any) -> None:
            facts: dict[str, Any] = {"sender": sender, "kwargs": set(kwargs)}
            if "user" in kwargs:
                facts["user_id"] = str(kwargs["user"].id)
            if "credential" in kwargs:
                facts["credential_id"] = str(kwargs["credential"].id)
                facts["credential_user_id"] = str(kwargs["credential"].user_id)
            facts.update({k: v for k, v in kwargs.items() if isinstance(v, str)})
            received.append(facts)

        return receiver

    def test_login_succeeded(self, client: FlaskClient, app: Flask,
                             register: Register) -> None:
        user_id = register()["userId"]
        received: list[dict[str, Any]] = []
        with signals.login_succeeded.connected_to(self.recorder(received), sender=app):
            token = client.post("/v2/authenticate", json=LOGIN).json["token"]
            client.post("/v2/authenticate", json={**LOGIN, "password": "x" * 20})
        token_id = client.get("/v2/users/self/sessions/current/status",
                              headers={"x-access-token": token}).json["tokenId"]
        assert received == [{"sender": app, "kwargs": {"user", "credential"},
                             "user_id": user_id, "credential_id": token_id,
                             "credential_user_id": user_id}]

    def test_login_failed(self, client: FlaskClient, app: Flask,
                          register: Register) -> None:
        register()
        register("grace@example.com", verify=False)
        received: list[dict[str, Any]] = []
        with signals.login_failed.connected_to(self.recorder(received), sender=app):
            client.post("/v2/authenticate", json={**LOGIN, "password": "x" * 20})
            client.post("/v2/authenticate", json={**LOGIN, "email": "eve@example.com"})
            client.post("/v2/authenticate", json={**LOGIN, "email": "grace@example.com"})
            client.post("/v2/authenticate", json=LOGIN)
        assert received == [
            {"sender": app, "kwargs": {"email", "reason"}, "email": "ada@example.com",
             "reason": "WrongCredentials"},
            {"sender": app, "kwargs": {"email", "reason"}, "email": "eve@example.com",
             "reason": "WrongCredentials"},
            {"sender": app, "kwargs": {"email", "reason"}, "email": "grace@example.com",
             "reason": "EmailAddressNotVerified"},
        ]

    def test_no_login_signal_when_a_second_factor_is_required(
            self, client: FlaskClient, app: Flask, register: Register) -> None:
        enable_mfa(app, register()["userId"])
        received: list[dict[str, Any]] = []
        receiver = self.recorder(received)
        with signals.login_succeeded.connected_to(receiver, sender=app), \
                signals.login_failed.connected_to(receiver, sender=app):
            assert client.post("/v2/authenticate", json=LOGIN).status_code == 202
        assert received == []

    def test_logged_out(self, client: FlaskClient, app: Flask, user: dict[str, Any]) -> None:
        token_id = client.get("/v2/users/self/sessions/current/status",
                              headers=user["headers"]).json["tokenId"]
        received: list[dict[str, Any]] = []
        with signals.logged_out.connected_to(self.recorder(received), sender=app):
            assert client.put("/v2/logout", headers=user["headers"]).status_code == 204
            assert client.put("/v2/logout", headers=user["headers"]).status_code == 401
        assert received == [{"sender": app, "kwargs": {"user", "credential"},
                             "user_id": user["userId"], "credential_id": token_id,
                             "credential_user_id": user["userId"]}]


@pytest.mark.parametrize(("method", "path"), [("put", "/v2/logout"),
                                              ("post", "/v2/users/self/credentials/token")])
@pytest.mark.parametrize(("data", "kind", "where"), [
    (b'{"unexpected": 1}', "additionalProperties", ".unexpected"),
    (b"{broken", "invalidJson", ""),
    (b"[]", "type", ""),
])
def test_bodyless_operations_refuse_a_body_they_do_not_know(
        client: FlaskClient, user: dict[str, Any], method: str, path: str, data: bytes,
        kind: str, where: str) -> None:
    response = getattr(client, method)(path, data=data, content_type="application/json",
                                       headers=user["headers"])
    assert response.status_code == 400
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [(where, kind)]
    still = client.get("/v2/users/self/sessions/current/status", headers=user["headers"])
    assert still.status_code == 200
