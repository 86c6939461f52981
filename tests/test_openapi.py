"""Our own OpenAPI 3.1 document: valid, and describing every route we mount."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from flask_usercore import UserCore


def _our_routes(app: Flask, prefix: str) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return routes


def test_document_is_valid_openapi_31(client: FlaskClient) -> None:
    spec = client.get("/v2/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_document_covers_every_mounted_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/v2/openapi.json").json
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    mounted = _our_routes(app, "/v2")
    assert mounted, "no routes mounted"
    assert documented == mounted
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_operations_carry_schemas_and_security(client: FlaskClient) -> None:
    spec = client.get("/v2/openapi.json").json
    register = spec["paths"]["/v2/register"]["post"]
    assert register["security"] == []
    body_schema = register["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["$ref"].startswith("#/components/schemas/")
    get_user = spec["paths"]["/v2/users/{userId}"]["get"]
    assert {"AccessToken": []} in get_user["security"]
    assert get_user["parameters"][0]["name"] == "userId"
    assert "200" in get_user["responses"] and "401" in get_user["responses"]


def test_document_follows_a_custom_prefix(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_URL_PREFIX": "/api/users"})
    spec = app.test_client().get("/api/users/openapi.json").json
    assert "/api/users/register" in spec["paths"]
    assert not any(path.startswith("/v2/") for path in spec["paths"])


def test_host_can_register_the_blueprint_itself(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_REGISTER_BLUEPRINT": False})
    core: UserCore = app.extensions["usercore"].core
    app.register_blueprint(core.create_blueprint(), url_prefix="/accounts")
    client = app.test_client()
    assert client.get("/v2/openapi.json").status_code == 404
    assert client.get("/accounts/openapi.json").status_code == 200
    assert client.post("/accounts/register", json={}).json["type"] == "ValidationError"


def test_broken_document_is_rejected_by_the_validator(client: FlaskClient) -> None:
    spec = client.get("/v2/openapi.json").json
    spec["paths"]["/v2/register"]["post"]["responses"] = "nope"
    try:
        validate(spec)
    except OpenAPIValidationError:
        return
    raise AssertionError("the validator accepted a broken document")


def test_field_formats_are_documented(client: FlaskClient) -> None:
    schemas = client.get("/v2/openapi.json").json["components"]["schemas"]
    register = schemas["Register"]["properties"]
    assert register["email"]["format"] == "email"
    assert register["webUrl"]["format"] == "uri"
    assert register["nickname"]["maxLength"] == 60
    assert "email" in schemas["Register"]["required"]


#: mittwald's File API operations the avatar upload needs (REFERENCE.md 5.7); they are not in
#: the User document, and tests/contract/test_pypi_resources.py drives them with the client.
FILE_API = frozenset({"file-create-file", "file-get-file", "file-get-file-with-name"})


def test_every_mounted_operation_is_mittwalds_operation_of_that_method_and_path(
        app: Flask) -> None:
    """The contract check finds the document's operation by method and path: a typo in a
    rule would silently switch it off. Every operation we mount must be found, under the
    same operationId we declare (ours only: the OpenAPI document route)."""
    from tests.contract.validation import find_operation

    checked = 0
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "usercore_operation", None)
        if op is None or op.operation_id in FILE_API or "User" not in op.tags:
            continue  # the File API and our own extras (tagged OAuth2) are not in it
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found = find_operation(op.method, path.replace("{userId}", "self"))
        assert found is not None, f"{op.method} {path} is not in mittwald's document"
        assert (found / "operationId").read_str() == op.operation_id, path
        checked += 1
    assert checked >= 10


def test_the_document_is_built_once_per_app(app: Flask, client: FlaskClient,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_usercore import openapi

    calls: list[Flask] = []
    build = openapi.build_spec
    monkeypatch.setattr(openapi, "build_spec", lambda a: calls.append(a) or build(a))
    first = client.get("/v2/openapi.json").json
    assert client.get("/v2/openapi.json").json == first
    assert len(calls) == 1


def test_the_oauth2_endpoints_document_their_rfc6749_errors(client: FlaskClient) -> None:
    """Found by schemathesis: the token endpoint answers RFC 6749 bodies, which our document
    declared as ValidationErrors."""
    from jsonschema import Draft202012Validator

    spec = client.get("/v2/openapi.json").json
    declared = spec["paths"]["/v2/oauth2/token"]["post"]["responses"]["400"]
    ref = declared["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/OAuth2Error"
    answer = client.post("/v2/oauth2/token", data={"grant_type": "nonsense"})
    assert answer.status_code == 400
    schema = spec["components"]["schemas"]["OAuth2Error"]
    assert list(Draft202012Validator(schema).iter_errors(answer.json)) == []
    wire = spec["paths"]["/v2/register"]["post"]["responses"]["400"]
    assert wire["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrors")
