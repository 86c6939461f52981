"""Bad request bodies on every operation that takes one: a 400 of the wire rules naming the
field, never a 500, and nothing written to the database."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from flask_usercore.models import Base
from tests.conftest import PASSWORD, Mailbox

MISSING = object()
#: Columns a read may touch (the token's last use); not a write of the request under test.
VOLATILE = {"last_used_at"}


@dataclass(frozen=True)
class Op:
    """One operation with a body, and a body it accepts."""

    name: str
    method: str
    path: str
    auth: bool
    valid: dict[str, Any]
    status: int


PERSON = {"firstName": "Grace", "lastName": "Hopper"}
OPS = {
    "register": Op("register", "POST", "/v2/register", False,
                   {"email": "new@example.com", "password": PASSWORD, "person": PERSON}, 201),
    "verify": Op("verify", "POST", "/v2/verify-registration", False,
                 {"email": "grace@example.com", "userId": "{grace}", "token": "{code}"}, 200),
    "authenticate": Op("authenticate", "POST", "/v2/authenticate", False,
                       {"email": "ada@example.com", "password": PASSWORD}, 200),
    "update": Op("update", "PUT", "/v2/users/{ada}", True,
                 {"person": PERSON, "company": "ACME"}, 204),
    "update-self": Op("update-self", "PUT", "/v2/users/self/personal-information", True,
                      {"person": PERSON, "company": "ACME"}, 204),
    "delete": Op("delete", "DELETE", "/v2/users/self", True, {"password": PASSWORD}, 200),
}


@dataclass
class World:
    """Ada (verified, logged in) and Grace (registered, code known, not verified)."""

    app: Flask
    client: FlaskClient
    ada: str
    grace: str
    code: str
    headers: dict[str, str]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(ada=self.ada, grace=self.grace, code=self.code)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def send(self, op: Op, **kwargs: Any) -> Any:
        headers = {**(self.headers if op.auth else {}), **kwargs.pop("headers", {})}
        return self.client.open(self.fill(op.path), method=op.method, headers=headers,
                                **kwargs)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (minus volatile columns), to prove nothing was written."""
        with self.app.app_context():
            session = self.app.extensions["usercore"].core.db.session
            result = {}
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.c if c.name not in VOLATILE]
                rows = session.execute(select(*columns)).all()
                result[table.name] = sorted((tuple(r) for r in rows), key=repr)
            return result


@pytest.fixture
def world(app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]],
          login: Callable[..., str], mailbox: Mailbox) -> World:
    ada = register()["userId"]
    token = login()
    grace = register("grace@example.com", verify=False)["userId"]
    return World(app, client, ada, grace, mailbox.last_code("grace@example.com"),
                 {"x-access-token": token})


def with_change(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``body`` with ``value`` at dotted ``path`` (or the key removed for MISSING)."""
    result = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return result


def assert_400(world: World, response: Any, before: Any) -> list[dict[str, Any]]:
    """The 400 body of the wire rules; the database is unchanged."""
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True))
    assert response.is_json
    body = response.json
    assert set(body) == {"type", "message", "code", "validationErrors"}
    assert body["type"] == "ValidationError"
    assert body["code"] == 400
    assert isinstance(body["message"], str) and body["message"]
    items: list[dict[str, Any]] = body["validationErrors"]
    assert items
    for item in items:
        assert {"path", "message", "type"} <= set(item) <= {"path", "message", "type", "context"}
        assert all(isinstance(item[k], str) for k in ("path", "message", "type"))
        assert all(isinstance(v, str) for v in item.get("context", {}).values())
    assert world.snapshot() == before
    return items


def test_valid_bodies_are_accepted(world: World) -> None:
    """The baseline every case below breaks: each valid body works as it is."""
    for name in ("register", "verify", "authenticate", "update", "update-self", "delete"):
        op = OPS[name]
        response = world.send(op, json=world.fill(op.valid))
        assert response.status_code == op.status, (name, response.get_data(as_text=True))


# (operation, dotted path in the body, bad value, expected validationErrors type)
FIELD_CASES: list[tuple[str, str, Any, str]] = [
    # wrong types
    ("register", "email", 42, "type"),
    ("register", "password", 12345678901234, "type"),
    ("register", "person", "Grace Hopper", "type"),
    ("register", "person", ["Grace", "Hopper"], "type"),
    ("register", "person.firstName", ["Grace"], "type"),
    ("register", "person.lastName", None, "type"),
    ("register", "nickname", 7, "type"),
    ("register", "countryCode", 49, "type"),
    ("register", "webUrl", {"href": "https://example.com"}, "type"),
    ("register", "accountType", True, "type"),
    ("verify", "email", None, "type"),
    ("verify", "token", 12345678, "type"),
    ("verify", "userId", "not-a-uuid", "format"),
    ("authenticate", "email", ["ada@example.com"], "type"),
    ("authenticate", "password", None, "type"),
    ("authenticate", "password", {"value": PASSWORD}, "type"),
    ("update", "person", "Grace", "type"),
    ("update", "person.firstName", 1, "type"),
    ("update", "company", 5, "type"),
    ("update", "emailVerified", "true", "type"),
    ("update-self", "person.lastName", False, "type"),
    ("update-self", "isEmployee", "false", "type"),
    ("update-self", "createdAt", 1700000000, "format"),
    ("update-self", "createdAt", "2024-01-01T00:00:00", "format"),
    ("update-self", "userId", "nope", "format"),
    ("delete", "password", 12345678, "type"),
    ("delete", "multiFactorCode", 123456, "type"),
    # missing required fields
    ("register", "email", MISSING, "required"),
    ("register", "password", MISSING, "required"),
    ("register", "person", MISSING, "required"),
    ("register", "person.firstName", MISSING, "required"),
    ("register", "person.lastName", MISSING, "required"),
    ("verify", "email", MISSING, "required"),
    ("verify", "token", MISSING, "required"),
    ("verify", "userId", MISSING, "required"),
    ("authenticate", "email", MISSING, "required"),
    ("authenticate", "password", MISSING, "required"),
    ("update", "person.firstName", MISSING, "required"),
    ("update-self", "person.lastName", MISSING, "required"),
    # unknown fields
    ("register", "isAdmin", True, "additionalProperties"),
    ("register", "person.age", 36, "additionalProperties"),
    ("verify", "code", "12345678", "additionalProperties"),
    ("authenticate", "multiFactorCode", "123456", "additionalProperties"),
    ("update", "passwordHash", "x", "additionalProperties"),
    ("update-self", "person.middleName", "Brewster", "additionalProperties"),
    ("delete", "confirm", True, "additionalProperties"),
    # overlong and too short strings
    ("register", "email", "a" * 250 + "@example.com", "maxLength"),
    ("register", "password", "x" * 4097, "maxLength"),
    ("register", "person.firstName", "f" * 121, "maxLength"),
    ("register", "person.lastName", "l" * 121, "maxLength"),
    ("register", "person.firstName", "", "minLength"),
    ("register", "nickname", "n" * 61, "maxLength"),
    ("register", "displayName", "d" * 121, "maxLength"),
    ("register", "webUrl", "https://example.com/" + "p" * 2048, "maxLength"),
    ("verify", "token", "1" * 17, "maxLength"),
    ("verify", "token", "12345", "minLength"),
    ("authenticate", "email", "a" * 255, "maxLength"),
    ("authenticate", "password", "x" * 4097, "maxLength"),
    ("authenticate", "password", "", "minLength"),
    ("update", "person.firstName", "f" * 121, "maxLength"),
    ("update", "company", "c" * 121, "maxLength"),
    ("update-self", "location", "l" * 121, "maxLength"),
    ("update-self", "firstname", "f" * 121, "maxLength"),
    ("delete", "password", "x" * 4097, "maxLength"),
    ("delete", "multiFactorCode", "1" * 33, "maxLength"),  # 16 + room for separators
    ("delete", "multiFactorCode", "12345", "minLength"),
    # other format and enum checks
    ("register", "email", "not an address", "format"),
    ("register", "person.title", "dr", "enum"),
    ("verify", "email", "grace@", "format"),
    ("update", "person.title", "mrs", "enum"),
    ("update-self", "countryCode", "XX", "format"),
]


@pytest.mark.parametrize(("name", "path", "value", "kind"), FIELD_CASES,
                         ids=[f"{n}-{p}-{k}-{i}" for i, (n, p, _, k) in enumerate(FIELD_CASES)])
def test_bad_field(world: World, name: str, path: str, value: Any, kind: str) -> None:
    op = OPS[name]
    before = world.snapshot()
    body = with_change(world.fill(op.valid), path, value)
    items = assert_400(world, world.send(op, json=body), before)
    wire_path = "." + path
    assert (wire_path, kind) in [(i["path"], i["type"]) for i in items], items
    assert {i["path"] for i in items} == {wire_path}
    item = next(i for i in items if i["type"] == kind)
    last = path.rsplit(".", 1)[-1]
    if kind == "required":
        assert item["context"] == {"missingProperty": last}
    if kind == "additionalProperties":
        assert item["context"] == {"additionalProperty": last}


def test_empty_object_names_every_missing_field(world: World) -> None:
    before = world.snapshot()
    items = assert_400(world, world.send(OPS["register"], json={}), before)
    assert [(i["path"], i["type"]) for i in items] == [
        (".email", "required"), (".password", "required"), (".person", "required")]
    items = assert_400(world, world.send(OPS["verify"], json={}), before)
    assert [i["path"] for i in items] == [".email", ".token", ".userId"]


def test_several_errors_in_one_body(world: World) -> None:
    before = world.snapshot()
    body = {"email": 1, "password": PASSWORD, "person": {"firstName": ""}, "x": 1}
    items = assert_400(world, world.send(OPS["register"], json=body), before)
    assert [(i["path"], i["type"]) for i in items] == [
        (".email", "type"), (".person.firstName", "minLength"),
        (".person.lastName", "required"), (".x", "additionalProperties")]


#: Whole-body problems: (label, request keyword arguments, expected validationErrors type).
BODY_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("broken-json", {"data": '{"email": "ada@example.com", ',
                     "content_type": "application/json"}, "invalidJson"),
    ("trailing-garbage", {"data": '{"email": "a"} x', "content_type": "application/json"},
     "invalidJson"),
    ("single-quotes", {"data": "{'email': 'a'}", "content_type": "application/json"},
     "invalidJson"),
    ("not-utf8", {"data": b'{"email": "\xff\xfe"}', "content_type": "application/json"},
     "invalidJson"),
    ("text-plain", {"data": '{"email": "ada@example.com"}', "content_type": "text/plain"},
     "contentType"),
    ("form", {"data": "email=ada%40example.com&password=x",
              "content_type": "application/x-www-form-urlencoded"}, "contentType"),
    ("multipart", {"data": {"email": "ada@example.com"}}, "contentType"),
    ("array", {"json": [{"email": "ada@example.com"}]}, "type"),
    ("number", {"json": 42}, "type"),
    ("string", {"json": "ada@example.com"}, "type"),
    ("true", {"json": True}, "type"),
    ("null", {"data": "null", "content_type": "application/json"}, "type"),
]


@pytest.mark.parametrize(("label", "kwargs", "kind"), BODY_CASES,
                         ids=[c[0] for c in BODY_CASES])
@pytest.mark.parametrize("name", list(OPS))
def test_bad_body(world: World, name: str, label: str, kwargs: dict[str, Any],
                  kind: str) -> None:
    before = world.snapshot()
    items = assert_400(world, world.send(OPS[name], **copy.deepcopy(kwargs)), before)
    assert [(i["path"], i["type"]) for i in items] == [("", kind)]


@pytest.mark.parametrize("name", ["register", "verify", "authenticate"])
def test_required_body_cannot_be_empty(world: World, name: str) -> None:
    """An empty body is ``{}``, so the required fields are reported missing."""
    before = world.snapshot()
    items = assert_400(world, world.send(OPS[name], data=b"",
                                         content_type="application/json"), before)
    assert {i["type"] for i in items} == {"required"}


def test_json_with_charset_is_fine(world: World) -> None:
    op = OPS["authenticate"]
    response = world.send(op, data=json.dumps(op.valid),
                          content_type="application/json; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["😀" * 121, "é" * 121])
def test_length_counts_characters(world: World, value: str) -> None:
    """Limits count characters, not bytes: 120 emoji fit, 121 do not."""
    op = OPS["update-self"]
    before = world.snapshot()
    items = assert_400(world, world.send(op, json={"company": value}), before)
    assert [(i["path"], i["type"]) for i in items] == [(".company", "maxLength")]
    assert world.send(op, json={"company": value[:120]}).status_code == 204


@pytest.mark.parametrize("data", [
    b"[" * 60_000,
    b'{"email": ' + b"[" * 5000 + b"]" * 5000 + b', "password": "x"}',
    b'{"email": "a\\ud800@example.com", "password": "x"}',
    b'{"email": "ada@example.com", "password": "\\udfff"}',
    b"\xff\xfe{}",
])
def test_hostile_json_is_a_400_not_a_500(client: FlaskClient, data: bytes) -> None:
    response = client.post("/v2/authenticate", data=data, content_type="application/json")
    assert response.status_code == 400
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
        ("", "invalidJson")]


@pytest.mark.parametrize("path", ["/v2/users/self/sessions", "/v2/users/self/api-tokens",
                                  "/v2/users/self/ssh-keys", "/v2/authenticate"])
def test_a_query_string_of_raw_bytes_that_are_no_utf8_is_a_400(
        app: Flask, user: dict[str, Any], path: str) -> None:
    """Not percent-encoded and not UTF-8 (``limit=\\xff`` as sent): a 400, never a 500. (A
    plain werkzeug client: the validating test client cannot even read such a query.)"""
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    raw = Client(app, Response)
    response = raw.open(path, method="POST" if path == "/v2/authenticate" else "GET",
                        headers=user["headers"],
                        environ_overrides={"QUERY_STRING": "limit=\xff&cookieOnly=\xfe"})
    assert response.status_code == 400, response.get_data()
    body = json.loads(response.get_data())
    assert body["type"] == "ValidationError"
    assert body["validationErrors"][0]["type"] == "invalidQuery"
