"""Errors under ``/v2`` are JSON of the wire rules; the host's own routes keep Flask's HTML."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import text

import flask_usercore.services.registration as registration_service
import flask_usercore.services.users as users_service
import flask_usercore.web.authenticator as routing
from flask_usercore import Mail
from tests.conftest import PASSWORD

#: Every operation that needs a token, with a body it would accept.
AUTH_OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v2/users/self", None),
    ("GET", "/v2/users/10203040-1234-5678-abcd-badc0de01234", None),
    ("PUT", "/v2/users/self", {"company": "ACME"}),
    ("PUT", "/v2/users/self/personal-information", {"company": "ACME"}),
    ("DELETE", "/v2/users/self", {"password": PASSWORD}),
    ("PUT", "/v2/logout", None),
    ("POST", "/v2/users/self/credentials/token", None),
    ("GET", "/v2/users/self/sessions/current/status", None),
]


def assert_json_error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json
    assert body["type"] == kind
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize("path", ["/v2/nope", "/v2/users/self/nope", "/v2/users",
                                  "/v2/users/self/credentials/token/extra", "/v2",
                                  "/v2/"])
def test_unknown_path_under_prefix_is_json_404(client: FlaskClient, path: str) -> None:
    assert_json_error(client.get(path), 404, "NotFound")
    assert_json_error(client.post(path, json={}), 404, "NotFound")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/v2/register", {"POST"}),
    ("PUT", "/v2/authenticate", {"POST"}),
    ("DELETE", "/v2/verify-registration", {"POST"}),
    ("POST", "/v2/logout", {"PUT"}),
    ("GET", "/v2/users/self/credentials/token", {"POST"}),
    ("POST", "/v2/users/self", {"GET", "PUT", "DELETE"}),
    ("PATCH", "/v2/users/self", {"GET", "PUT", "DELETE"}),
    ("DELETE", "/v2/users/10203040-1234-5678-abcd-badc0de01234", {"GET", "PUT"}),
])
def test_wrong_method_is_json_405(client: FlaskClient, method: str, path: str,
                                  allowed: set[str]) -> None:
    response = client.open(path, method=method)
    assert_json_error(response, 405, "MethodNotAllowed")
    allow = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allow - {"HEAD", "OPTIONS"} == allowed


@pytest.mark.parametrize(("method", "path", "body"), AUTH_OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in AUTH_OPERATIONS])
@pytest.mark.parametrize("headers", [
    {},
    {"x-access-token": "not-a-token"},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic YWRhOnNlY3JldA=="},
    {"x-access-token": ""},
], ids=["none", "bad-header", "bad-bearer", "empty-bearer", "basic", "empty-header"])
def test_missing_or_invalid_token_is_json_401(
        client: FlaskClient, user: dict[str, Any], method: str, path: str,
        body: dict[str, Any] | None, headers: dict[str, str]) -> None:
    response = client.open(path, method=method, json=body, headers=headers)
    assert_json_error(response, 401, "Unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200


def test_token_of_a_deleted_session_is_json_401(client: FlaskClient,
                                                user: dict[str, Any]) -> None:
    assert client.put("/v2/logout", headers=user["headers"]).status_code == 204
    body = assert_json_error(client.get("/v2/users/self", headers=user["headers"]),
                             401, "Unauthorized")
    assert user["token"] not in str(body)


class TestHostRoutes:
    @pytest.fixture
    def app(self, app: Flask) -> Flask:
        @app.get("/hello")
        def hello() -> str:
            return "hello"

        @app.get("/gone")
        def gone() -> str:
            abort(404)

        return app

    def test_unknown_host_path_keeps_html_404(self, client: FlaskClient) -> None:
        for path in ("/nope", "/v2x", "/v20/users/self", "/api/users/self"):
            response = client.get(path)
            assert response.status_code == 404
            assert response.mimetype == "text/html"
            assert b"<title>404 Not Found</title>" in response.data

    def test_host_route_works_and_keeps_html_errors(self, client: FlaskClient) -> None:
        assert client.get("/hello").data == b"hello"
        gone = client.get("/gone")
        assert gone.status_code == 404
        assert gone.mimetype == "text/html"
        wrong_method = client.post("/hello")
        assert wrong_method.status_code == 405
        assert wrong_method.mimetype == "text/html"


def test_a_database_error_is_logged_without_its_parameters(
        client: FlaskClient, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The driver's message and the bound parameters may hold e-mails, names and password
    hashes: the 500 is logged with the SQL text and the error class only."""
    secret = "$argon2id$v=19$m=19456,t=2,p=1$not-for-logs"

    def failing_query(deps: Any, *args: Any, **kwargs: Any) -> Any:
        deps.session.execute(text("SELECT x FROM usercore_no_such_table WHERE y = :p"),
                             {"p": secret})

    monkeypatch.setattr(users_service, "update_profile", failing_query)
    response = client.put("/v2/users/self", headers=user["headers"], json={"company": "ACME"})
    assert response.status_code == 500
    assert response.json["type"] == "InternalServerError"
    [record] = [r for r in caplog.records if r.name == "flask_usercore"]
    logged = record.getMessage() + (logging.Formatter().formatException(record.exc_info)
                                    if record.exc_info else "")
    assert "usercore_no_such_table" in logged  # the SQL text helps
    assert secret not in logged and "not-for-logs" not in logged
    assert "[parameters:" not in logged


class TestUnexpectedException:
    SECRET = "db password is hunter2"

    def boom(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(self.SECRET)

    def assert_500(self, response: Any, caplog: pytest.LogCaptureFixture) -> None:
        body = assert_json_error(response, 500, "InternalServerError")
        assert set(body) == {"type", "message", "code"}
        text = response.get_data(as_text=True)
        assert self.SECRET not in text
        assert "Traceback" not in text and "Error:" not in text
        logged = [r for r in caplog.records if r.name == "flask_usercore"]
        assert logged and logged[-1].exc_info is not None
        assert logged[-1].levelno == logging.ERROR

    def test_in_a_public_operation(self, client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                                   caplog: pytest.LogCaptureFixture) -> None:
        monkeypatch.setattr(registration_service, "register", self.boom)
        response = client.post("/v2/register", json={
            "email": "ada@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}})
        self.assert_500(response, caplog)

    def test_in_an_authenticated_operation(self, client: FlaskClient, user: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
        monkeypatch.setattr(users_service, "update_profile", self.boom)
        response = client.put("/v2/users/self", headers=user["headers"],
                              json={"company": "ACME"})
        self.assert_500(response, caplog)
        monkeypatch.undo()
        body = client.get("/v2/users/self", headers=user["headers"]).json
        assert "company" not in body

    def test_in_token_resolution(self, client: FlaskClient, user: dict[str, Any],
                                 monkeypatch: pytest.MonkeyPatch,
                                 caplog: pytest.LogCaptureFixture) -> None:
        monkeypatch.setattr(routing, "resolve_token", self.boom)
        response = client.get("/v2/users/self/sessions/current/status",
                              headers=user["headers"])
        self.assert_500(response, caplog)



class TestFailingMailer:
    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        class DownMailer:
            def send(self, mail: Mail) -> None:
                raise ConnectionRefusedError(TestUnexpectedException.SECRET)

        return make_app(mailer=DownMailer())

    def test_the_account_stands_and_the_failure_is_logged_without_its_text(
            self, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
        response = client.post("/v2/register", json={
            "email": "ada@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}})
        assert response.status_code == 201  # the mail goes out after the commit
        assert "could not be delivered: ConnectionRefusedError" in caplog.text
        assert TestUnexpectedException.SECRET not in caplog.text
        login = client.post("/v2/authenticate",
                            json={"email": "ada@example.com", "password": PASSWORD})
        assert login.json["validationErrors"][0]["type"] == "EmailAddressNotVerified"


def test_odd_ids_and_tokens_are_answered_in_json(client: FlaskClient,
                                                  user: dict[str, Any]) -> None:
    assert client.get("/v2/users/%00", headers=user["headers"]).status_code == 404
    assert client.get("/v2/users/%E2%98%83", headers=user["headers"]).status_code == 404
    odd_token = client.get("/v2/users/self", headers={"x-access-token": "\u00e9\u00e9"})
    assert odd_token.status_code == 401
    assert odd_token.json["type"] == "Unauthorized"


@pytest.mark.parametrize("password", [PASSWORD + "-wrong", PASSWORD])
def test_authenticate_401_matches_our_documented_schema(client: FlaskClient,
                                                        register: Callable[..., Any],
                                                        password: str) -> None:
    """Regression (schemathesis, response_schema_conformance): our document declared the
    ``Error`` shape (``message`` required) for the 401 of authenticate, which answers the
    ValidationErrors shape without ``message`` (wrong password; unverified e-mail)."""
    register(email="ada@example.com", verify=password != PASSWORD)
    response = client.post("/v2/authenticate",
                           json={"email": "ada@example.com", "password": password})
    assert response.status_code == 401
    document = client.get("/v2/openapi.json").json
    documented = document["paths"]["/v2/authenticate"]["post"]["responses"]["401"]
    declared = documented["content"]["application/json"]["schema"]
    refs = [declared["$ref"]] if "$ref" in declared else [
        alternative["$ref"] for alternative in declared["anyOf"]]
    schemas = [document["components"]["schemas"][ref.rsplit("/", 1)[-1]] for ref in refs]
    assert any(not list(Draft202012Validator(schema).iter_errors(response.json))
               for schema in schemas)
