"""One structured record per request under the prefix (flask_usercore/runtime/request_log.py)."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

import flask_usercore.runtime.request_log as request_log
import flask_usercore.services.users as users_service
from flask_usercore import ConfigError
from flask_usercore.runtime.request_log import FIELDS, LOGGER_NAME, JsonFormatter
from tests.conftest import PASSWORD


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """The request records logged so far (the logger enabled at INFO)."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    yield lambda: [r for r in caplog.records if r.name == LOGGER_NAME]


def only(records: Callable[[], list[logging.LogRecord]]) -> logging.LogRecord:
    found = records()
    assert len(found) == 1, [r.getMessage() for r in found]
    return found[0]


def test_an_authenticated_read_is_one_info_record_with_the_caller(
        client: FlaskClient, user: dict[str, Any], records: Callable[[], list[Any]]) -> None:
    before = len(records())
    response = client.get("/v2/users/self", headers=user["headers"])
    assert response.status_code == 200
    record = records()[before:]
    assert len(record) == 1
    got = record[0]
    assert got.levelno == logging.INFO
    assert re.fullmatch(r"[0-9a-f]{32}", got.request_id)
    assert response.headers["X-Request-ID"] == got.request_id
    assert (got.operation_id, got.method, got.route, got.path, got.status, got.outcome) == (
        "user-get-user", "GET", "/v2/users/<userId>", "/v2/users/self", 200, "ok")
    assert (got.user_id, got.credential_kind) == (user["userId"], "session")
    assert got.error_type is None and got.client_ip == "127.0.0.1"
    assert isinstance(got.duration_ms, float) and got.duration_ms >= 0
    assert got.getMessage() == "GET /v2/users/<userId> 200 ok"


def test_the_user_id_survives_the_commit_and_the_deletion_of_the_user(
        client: FlaskClient, user: dict[str, Any], records: Callable[[], list[Any]]) -> None:
    before = len(records())
    assert client.put("/v2/users/self/personal-information", headers=user["headers"],
                      json={"company": "ACME"}).status_code == 204
    deleted = client.delete("/v2/users/self", headers=user["headers"],
                            json={"password": user["password"]})
    assert deleted.status_code == 200, deleted.json
    assert [(r.operation_id, r.user_id) for r in records()[before:]] == [
        ("user-update-account", user["userId"]), ("user-delete-user", user["userId"])]


def test_the_record_costs_no_sql_statement(
        app: Flask, client: FlaskClient, user: dict[str, Any],
        caplog: pytest.LogCaptureFixture) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def count(company: str) -> int:
        statements.clear()
        assert client.put("/v2/users/self/personal-information", headers=user["headers"],
                          json={"company": company}).status_code == 204
        assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200
        return len(statements)

    with app.app_context():
        engine = app.extensions["usercore"].core.db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        silent = count("ACME")
        caplog.set_level(logging.INFO, logger=LOGGER_NAME)
        logged = count("Initech")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert logged == silent
    assert [r.user_id for r in caplog.records if r.name == LOGGER_NAME] == [user["userId"]] * 2


def test_a_safe_incoming_request_id_is_kept_an_unsafe_one_replaced(
        client: FlaskClient, records: Callable[[], list[Any]]) -> None:
    kept = client.get("/v2/users/self", headers={"X-Request-ID": "edge-1.a_B"})
    assert kept.headers["X-Request-ID"] == "edge-1.a_B"
    for unsafe in ("x" * 129, "a b", "id\x7f", "ä"):
        replaced = client.get("/v2/users/self", headers={"X-Request-ID": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert next(r.request_id for r in records()) == "edge-1.a_B"


def test_the_request_id_header_is_configurable(make_app: Callable[..., Flask]) -> None:
    client = make_app({"USERCORE_REQUEST_ID_HEADER": "X-Correlation-Id"}).test_client()
    response = client.get("/v2/users/self", headers={"X-Correlation-Id": "abc"})
    assert response.headers["X-Correlation-Id"] == "abc"
    assert "X-Request-ID" not in response.headers
    with pytest.raises(ConfigError, match="USERCORE_REQUEST_ID_HEADER"):
        make_app({"USERCORE_REQUEST_ID_HEADER": "X Request"})


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "operation_id", "error"), [
    ("GET", "/v2/users/self", {}, 401, "user-get-user", ("Unauthorized", None)),
    ("POST", "/v2/authenticate", {"json": {"email": "a@example.com"}}, 400,
     "user-authenticate", ("ValidationError", "required")),
    ("POST", "/v2/authenticate", {"json": {"email": "a@example.com", "password": "wrong!"}},
     401, "user-authenticate", ("ValidationError", "WrongCredentials")),
    ("GET", "/v2/nope", {}, 404, None, ("NotFound", None)),
    ("DELETE", "/v2/register", {}, 405, None, ("MethodNotAllowed", None)),
    ("POST", "/v2/authenticate", {"data": b"x" * 70_000, "content_type": "application/json"},
     413, "user-authenticate", ("PayloadTooLarge", None)),
    ("POST", "/v2/oauth2/token", {"data": {"grant_type": "password"}}, 400,
     "user-oauth-retrieve-access-token", ("invalid_client", None)),
])
def test_a_refused_request_is_a_client_error_record_with_its_type(
        client: FlaskClient, records: Callable[[], list[Any]], method: str, path: str,
        kwargs: dict[str, Any], status: int, operation_id: str | None,
        error: tuple[str, str | None]) -> None:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    got = only(records)
    assert (got.status, got.outcome, got.operation_id) == (status, "client_error", operation_id)
    assert (got.error_type, got.error_reason) == error
    assert got.levelno == logging.INFO and got.user_id is None
    assert response.headers["X-Request-ID"] == got.request_id


def test_a_forbidden_credential_is_logged_with_its_kind(
        client: FlaskClient, user: dict[str, Any], records: Callable[[], list[Any]]) -> None:
    created = client.post("/v2/users/self/api-tokens", headers=user["headers"],
                          json={"description": "ci", "roles": ["api_read"]})
    api = {"Authorization": f"Bearer {created.json['token']}"}
    before = len(records())
    assert client.get("/v2/users/self/sessions", headers=api).status_code == 403
    got = records()[before:][0]
    assert (got.error_type, got.credential_kind, got.user_id) == (
        "Forbidden", "api_token", user["userId"])


def test_a_rate_limited_request_is_logged(make_app: Callable[..., Flask],
                                          records: Callable[[], list[Any]]) -> None:
    client = make_app({"USERCORE_RATELIMIT_AUTH": "1/minute"}).test_client()
    client.post("/v2/authenticate", json={})
    assert client.post("/v2/authenticate", json={}).status_code == 429
    assert (records()[-1].status, records()[-1].error_type) == (429, "RateLimitError")


def test_a_server_error_is_an_error_record(
        client: FlaskClient, user: dict[str, Any], records: Callable[[], list[Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("down")

    monkeypatch.setattr(users_service, "update_profile", boom)
    assert client.put("/v2/users/self", headers=user["headers"],
                      json={"company": "ACME"}).status_code == 500
    got = records()[-1]
    assert (got.levelno, got.outcome, got.error_type) == (
        logging.ERROR, "server_error", "InternalServerError")


def test_no_secret_reaches_any_record(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        mailbox: Any, records: Callable[[], list[Any]]) -> None:
    facts = register(verify=False)
    code = mailbox.last_code(facts["email"])
    client.post("/v2/verify-registration", json={
        "email": facts["email"], "userId": facts["userId"], "token": code})
    login = client.post("/v2/authenticate?password=" + PASSWORD.replace(" ", "+"),
                        json={"email": facts["email"], "password": PASSWORD})
    token, refresh = login.json["token"], login.json["refreshToken"]
    client.set_cookie("x-access-token", token)
    client.get(f"/v2/users/self?access_token={token}&code={code}",
               headers={"x-access-token": token, "Authorization": f"Bearer {token}",
                        "x-apitree-password": PASSWORD})
    client.put(f"/v2/users/self/credentials/password?token={token}",
               headers={"Authorization": f"Bearer {token}"},
               json={"oldPassword": PASSWORD, "newPassword": PASSWORD + "!x"})
    client.post("/v2/users/self/credentials/token", headers={"x-access-token": token},
                json={"refreshToken": refresh})
    client.get(f"/v2/nope?{refresh}")
    secrets = [PASSWORD, PASSWORD.replace(" ", "+"), token, refresh, code]
    formatter = JsonFormatter()
    found = records()
    assert len(found) >= 7
    for record in found:
        text = json.dumps(vars(record), default=str) + formatter.format(record)
        assert not [s for s in secrets if s in text], record.getMessage()


def test_control_characters_in_a_path_are_escaped(
        client: FlaskClient, records: Callable[[], list[Any]]) -> None:
    client.get("/v2/nope%0aFAKE%20200%20ok")
    got = only(records)
    assert got.path == "/v2/nope\\x0aFAKE 200 ok"
    assert "\n" not in got.getMessage()


def test_switched_off_there_is_no_record_and_no_header(
        make_app: Callable[..., Flask], records: Callable[[], list[Any]]) -> None:
    client = make_app({"USERCORE_REQUEST_LOG": False}).test_client()
    response = client.get("/v2/users/self", headers={"X-Request-ID": "abc"})
    assert "X-Request-ID" not in response.headers
    assert records() == []


def test_nothing_is_built_when_nobody_listens(
        client: FlaskClient, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    built: list[int] = []
    monkeypatch.setattr(request_log, "emit", lambda level, *a: built.append(level))
    response = client.get("/v2/users/self")
    assert response.status_code == 401 and response.headers["X-Request-ID"]
    assert built == []


def test_host_routes_are_not_logged(app: Flask, records: Callable[[], list[Any]]) -> None:
    @app.get("/hello")
    def hello() -> str:
        return "hello"

    response = app.test_client().get("/hello")
    assert "X-Request-ID" not in response.headers
    assert records() == []


def test_json_formatter_writes_one_line_with_the_fields(
        client: FlaskClient, records: Callable[[], list[Any]]) -> None:
    client.get("/v2/users/self", headers={"X-Request-ID": "r-1"})
    line = JsonFormatter().format(only(records))
    assert "\n" not in line
    data = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data.pop("time"))
    assert data.pop("duration_ms") >= 0
    assert data == {"level": "INFO", "logger": LOGGER_NAME,
                    "message": "GET /v2/users/<userId> 401 client_error",
                    "request_id": "r-1", "operation_id": "user-get-user", "method": "GET",
                    "route": "/v2/users/<userId>", "path": "/v2/users/self", "status": 401,
                    "outcome": "client_error", "error_type": "Unauthorized",
                    "client_ip": "127.0.0.1"}
    assert set(data) - {"level", "logger", "message"} <= set(FIELDS)


def test_json_formatter_renders_an_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("a\nb",),
                                   exc_info=sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "failed a\nb"
    assert "ValueError: boom" in data["exc_info"]
