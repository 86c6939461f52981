"""The operation declaration is the one source of status, schemas and body format: the
wrapper loads and dumps with what it declares (form and multipart bodies, list replies with
pagination headers), and errors that carry their own response pass through unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from marshmallow import fields
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from flask_usercore import extension
from flask_usercore.schemas.base import InputSchema, ResponseSchema
from flask_usercore.schemas.text import text
from flask_usercore.web.operation import CapabilityBlueprint, Page

probe = CapabilityBlueprint("probe", __name__)


class FormBody(InputSchema):
    grant_type = text(32, required=True)


class UploadBody(InputSchema):
    file = fields.Raw(required=True)
    note = text(64)


class Item(ResponseSchema):
    name = fields.String(required=True)
    secret = fields.String(load_only=True)


class ListQuery(InputSchema):
    limit = fields.Integer(load_default=2)
    skip = fields.Integer(load_default=0)


ITEMS = [{"name": f"item-{n}", "secret": "never dumped"} for n in range(5)]


@probe.operation("POST", "/probe/form", operation_id="probe-form", summary="form",
                 kinds=(), body=FormBody, body_format="form", status=201)
def form(body: dict[str, Any]) -> dict[str, Any]:
    return {"got": body["grant_type"]}


@probe.operation("POST", "/probe/upload", operation_id="probe-upload", summary="upload",
                 kinds=(), body=UploadBody, body_format="multipart")
def upload(body: dict[str, Any]) -> dict[str, Any]:
    stored: FileStorage = body["file"]
    return {"name": stored.filename, "size": len(stored.read()), "note": body.get("note")}


@probe.operation("GET", "/probe/items", operation_id="probe-items", summary="list",
                 kinds=(), query=ListQuery, response=Item, many=True)
def items(query: dict[str, Any]) -> Page:
    limit, skip = query["limit"], query["skip"]
    return Page(ITEMS[skip:skip + limit], total=len(ITEMS), limit=limit, skip=skip)


@probe.operation("GET", "/probe/authlib", operation_id="probe-authlib", summary="passthrough",
                 kinds=())
def authlib_like() -> None:
    # what Authlib's Flask integration raises: an HTTPException carrying its RFC 6749 answer
    answer = Response('{"error": "invalid_client"}', status=401,
                      headers={"WWW-Authenticate": 'Basic error="invalid_client"'},
                      content_type="application/json")
    raise HTTPException(response=answer)


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setattr(extension, "CAPABILITIES", (*extension.CAPABILITIES, probe))
    return make_app()


def test_a_form_body_is_loaded_with_the_declared_schema(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/v2/probe/form", data={"grant_type": "password"})
    assert (response.status_code, response.json) == (201, {"got": "password"})
    refused = client.post("/v2/probe/form", data={"grant_type": "x", "other": "y"})
    assert refused.status_code == 400
    assert refused.json["validationErrors"][0]["type"] == "additionalProperties"


def test_a_multipart_body_carries_the_file(app: Flask) -> None:
    import io

    response = app.test_client().post("/v2/probe/upload", data={
        "file": (io.BytesIO(b"\x89PNG...."), "me.png"), "note": "hi"})
    assert response.json == {"name": "me.png", "size": 8, "note": "hi"}


def test_a_list_reply_dumps_items_and_sets_the_pagination_headers(app: Flask) -> None:
    response = app.test_client().get("/v2/probe/items?limit=2&skip=2")
    assert response.json == [{"name": "item-2"}, {"name": "item-3"}]
    assert {k: v for k, v in response.headers.items() if k.startswith("X-Pagination")} == {
        "X-Pagination-Limit": "2", "X-Pagination-Skip": "2", "X-Pagination-Page": "2",
        "X-Pagination-TotalCount": "5"}


def test_a_query_is_validated_with_the_declared_schema(app: Flask) -> None:
    response = app.test_client().get("/v2/probe/items?limit=many")
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["path"] == ".limit"


def test_an_error_with_its_own_response_passes_through(app: Flask) -> None:
    response = app.test_client().get("/v2/probe/authlib")
    assert response.status_code == 401
    assert response.json == {"error": "invalid_client"}
    assert response.headers["WWW-Authenticate"] == 'Basic error="invalid_client"'


def test_the_document_describes_the_declared_formats(app: Flask) -> None:
    spec = app.test_client().get("/v2/openapi.json").json
    form_body = spec["paths"]["/v2/probe/form"]["post"]["requestBody"]["content"]
    assert list(form_body) == ["application/x-www-form-urlencoded"]
    upload_body = spec["paths"]["/v2/probe/upload"]["post"]["requestBody"]["content"]
    assert list(upload_body) == ["multipart/form-data"]
    listed = spec["paths"]["/v2/probe/items"]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"]["type"] == "array"


def test_errors_do_not_import_flask() -> None:
    import ast
    from pathlib import Path

    import flask_usercore.errors as errors

    tree = ast.parse(Path(errors.__file__).read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.split(".")[0] in ("flask", "werkzeug")}


def test_an_authenticated_read_is_one_statement_and_ends_in_a_commit_on_postgresql(
        app: Flask, user: dict[str, Any], is_postgres: bool) -> None:
    """One SELECT; on PostgreSQL (psycopg 3) the read ends with a COMMIT, not a ROLLBACK,
    which would drop the connection's prepared statements (routing.end_read); on SQLite the
    teardown ends it, no commit."""
    from sqlalchemy import event

    client = app.test_client()
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200
    statements: list[str] = []
    commits: list[bool] = []
    rollbacks: list[bool] = []
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *a: statements.append(statement))
    event.listen(engine, "commit", lambda conn: commits.append(True))
    event.listen(engine, "rollback", lambda conn: rollbacks.append(True))
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200
    assert [s.split()[0] for s in statements] == ["SELECT"]
    assert (commits, rollbacks) == (([True], []) if is_postgres else ([], [True]))
    commits.clear()
    assert client.put("/v2/users/self", headers=user["headers"],
                      json={"company": "ACME"}).status_code == 204
    assert commits == [True]  # a write commits, once
