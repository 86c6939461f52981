"""Our own document says what the server enforces (issue 32): the OAuth2 operations'
parameters, bodies and answers, the character rule, ``countryCode``, ``roles``,
``settingsString``; and schemathesis over our document reaches every OAuth2 operation with
no failure (``.ci/fuzz.py`` runs the long version over a socket)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from flask_usercore.oauth2 import hygiene
from flask_usercore.schemas.text import MULTILINE_PATTERN as MULTILINE
from flask_usercore.schemas.text import SINGLE_LINE_PATTERN as SINGLE_LINE
from flask_usercore.schemas.users import country_codes
from tests.api.oauth2_support import REDIRECT_URI, new_client, with_real_client

#: The 8 OAuth2 operations the issue names, by operationId: (method, path).
OAUTH2 = {
    "user-oauth-get-authorization": ("GET", "/v2/oauth2/authorize"),
    "oauth2-consent-page": ("GET", "/v2/oauth2/consent"),
    "oauth2-consent": ("POST", "/v2/oauth2/consent"),
    "oauth2-login-page": ("GET", "/v2/oauth2/login"),
    "oauth2-login": ("POST", "/v2/oauth2/login"),
    "user-oauth-retrieve-access-token": ("POST", "/v2/oauth2/token"),
    "oauth2-introspect-token": ("POST", "/v2/oauth2/introspect"),
    "oauth2-revoke-token": ("POST", "/v2/oauth2/revoke"),
}
#: Examples per operation: bounded so that the suite stays fast (``.ci/fuzz.py`` runs more).
EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return dict(client.get("/v2/openapi.json").json)


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    method, path = OAUTH2[operation_id]
    return dict(spec["paths"][path][method.lower()])


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return schema


def _parameters(spec: dict[str, Any], operation_id: str) -> dict[str, dict[str, Any]]:
    """Every query parameter and form field the operation documents, with its schema."""
    op = _operation(spec, operation_id)
    found = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
    body = op.get("requestBody", {}).get("content", {})
    if "application/x-www-form-urlencoded" in body:
        form = _resolve(spec, body["application/x-www-form-urlencoded"]["schema"])
        found.update(form["properties"])
    return found


def test_every_oauth2_operation_documents_parameters_and_rfc_errors(
        spec: dict[str, Any]) -> None:
    for operation_id in OAUTH2:
        op = _operation(spec, operation_id)
        assert _parameters(spec, operation_id), operation_id
        refusal = op["responses"]["400"]["content"]["application/json"]["schema"]
        assert refusal == {"$ref": "#/components/schemas/OAuth2Error"}, operation_id
    authorize = {p["name"]: p for p in _operation(spec, "user-oauth-get-authorization")[
        "parameters"]}
    assert authorize["response_type"]["required"] is True
    assert authorize["response_type"]["schema"]["enum"] == ["code"]
    assert authorize["client_id"]["required"] is True
    assert authorize["grant_consent"]["schema"]["type"] == "boolean"
    assert {"302", "400", "401", "403"} <= set(
        _operation(spec, "user-oauth-get-authorization")["responses"])
    token = _operation(spec, "user-oauth-retrieve-access-token")
    assert token["requestBody"]["required"] is True
    assert set(token["responses"]) >= {"200", "400"}
    for operation_id in ("oauth2-revoke-token", "oauth2-introspect-token"):
        responses = _operation(spec, operation_id)["responses"]
        assert "WWW-Authenticate" in responses["401"]["headers"]
        assert responses["400"]["content"] and responses["401"]["content"]
    login = _operation(spec, "oauth2-login")["responses"]
    assert "text/html" in login["200"]["content"] and "text/html" in login["401"]["content"]


def test_documented_limits_are_the_limits_the_server_enforces(spec: dict[str, Any]) -> None:
    """Every text parameter: at most hygiene.py's length, no control characters; and every
    parameter an OAuth2 endpoint reads by name is among those hygiene.py may name."""
    from flask_usercore.oauth2.clients import KNOWN_SCOPES

    scope = next(p for p in _operation(spec, "user-oauth-get-authorization")["parameters"]
                 if p["name"] == "scope")
    assert f"`{' '.join(KNOWN_SCOPES)}`" in scope["description"]

    for operation_id in OAUTH2:
        for name, schema in _parameters(spec, operation_id).items():
            assert name in hygiene.KNOWN, (operation_id, name)
            if schema.get("type") != "string":
                continue
            assert schema["maxLength"] == hygiene.LIMITS.get(name, hygiene.DEFAULT_LIMIT), name
            assert "enum" in schema or schema["pattern"] in (
                SINGLE_LINE, r"^[A-Za-z0-9._~-]{43,128}$"), (operation_id, name)


def test_forms_document_the_rule_of_parameters_they_do_not_name(
        spec: dict[str, Any], client: FlaskClient) -> None:
    """hygiene.py checks every parameter, the unknown ones too: their names and values."""
    schemas = spec["components"]["schemas"]
    for name in ("TokenRequest", "RevocationRequest", "IntrospectionRequest", "LoginForm",
                 "ConsentForm"):
        assert schemas[name]["propertyNames"] == {"maxLength": hygiene.NAME_LIMIT,
                                                  "pattern": SINGLE_LINE}, name
        assert schemas[name]["additionalProperties"] == {
            "type": "string", "maxLength": hygiene.DEFAULT_LIMIT, "pattern": SINGLE_LINE}
    for data in ({"x" * (hygiene.NAME_LIMIT + 1): "1"}, {"a\u0001": "1"},
                 {"other": "x" * (hygiene.DEFAULT_LIMIT + 1)}):
        answer = client.post("/v2/oauth2/token", data={"grant_type": "password", **data})
        assert answer.status_code == 400 and answer.json["error"] == "invalid_request"
    assert not any("x-usercore" in media for ops in spec["paths"].values()
                   for op in ops.values()
                   for media in op.get("requestBody", {}).get("content", {}).values())


def test_the_docs_pages_show_the_character_rule_in_words() -> None:
    from tests.test_docs_pages import operations

    assert set(operations._CHARACTER_RULES) == {SINGLE_LINE, MULTILINE}


def test_authorize_without_parameters_names_what_is_missing(
        client: FlaskClient, spec: dict[str, Any]) -> None:
    answer = client.get("/v2/oauth2/authorize")
    assert answer.status_code == 400
    assert answer.json == {"error": "invalid_request",
                           "error_description": "missing parameters: response_type, client_id"}
    schema = _resolve(spec, _operation(spec, "user-oauth-get-authorization")["responses"][
        "400"]["content"]["application/json"]["schema"])
    assert list(Draft202012Validator(schema).iter_errors(answer.json)) == []
    only = client.get("/v2/oauth2/authorize", query_string={"response_type": "code"})
    assert only.json["error_description"] == "missing parameter: client_id"


def test_authorize_without_response_type_redirects_the_error_to_a_verified_client(
        app: Flask, client: FlaskClient) -> None:
    client_id, _ = new_client(app)
    answer = client.get("/v2/oauth2/authorize", query_string={
        "client_id": client_id, "redirect_uri": REDIRECT_URI, "state": "s1"})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert "error=invalid_request" in location and "state=s1" in location
    assert "response_type" in location


def test_text_fields_state_the_character_rule(spec: dict[str, Any]) -> None:

    schemas = spec["components"]["schemas"]
    register = schemas["Register"]["properties"]
    assert register["password"]["pattern"] == SINGLE_LINE
    names = [s["properties"]["firstName"] for s in schemas.values()
             if "firstName" in s.get("properties", {}) and "required" in s]
    assert names and all("invisible" in name["description"] for name in names)
    assert schemas["ApiTokenCreate"]["properties"]["description"]["pattern"] == SINGLE_LINE
    feedback = [s for s in schemas.values()
                if s.get("properties", {}).get("message", {}).get("maxLength") == 5000]
    assert feedback and feedback[0]["properties"]["message"]["pattern"] == MULTILINE
    assert "control characters" in spec["info"]["description"]
    # a stricter pattern of its own is kept (nickname)
    assert schemas["UserUpdate"]["properties"]["nickname"]["pattern"] != SINGLE_LINE


def test_country_code_is_the_list_the_server_accepts(
        spec: dict[str, Any], client: FlaskClient, user: dict[str, Any]) -> None:
    documented = spec["components"]["schemas"]["UserUpdate"]["properties"]["countryCode"]
    assert set(documented["enum"]) == set(country_codes()) | {None}
    assert {"DE", "US", "FR"} <= set(documented["enum"])
    for code in ("DE", "de", "XX", "DEU", "D\u0000"):
        answer = client.put("/v2/users/self", json={"countryCode": code},
                            headers=user["headers"])
        assert answer.status_code in (200, 204, 400), (code, answer.json)
        assert (answer.status_code != 400) == (code in documented["enum"]), code


def test_roles_unique_and_settings_base64_are_documented(
        spec: dict[str, Any], client: FlaskClient, user: dict[str, Any]) -> None:
    import re

    from flask_usercore.schemas.settings import BASE64

    schemas = spec["components"]["schemas"]
    assert schemas["ApiTokenCreate"]["properties"]["roles"]["uniqueItems"] is True
    settings_string = schemas["Settings"]["properties"]["settingsString"]
    assert settings_string["format"] == "base64" and settings_string["pattern"] == BASE64
    duplicate = client.post("/v2/users/self/api-tokens", headers=user["headers"], json={
        "description": "d", "roles": ["api_read", "api_read"]})
    assert duplicate.status_code == 400
    for value in ("e30=", "e30", "e3 0=", "****"):
        answer = client.put("/v2/users/self/settings", headers=user["headers"],
                            json={"settingsString": value})
        assert (answer.status_code == 204) == bool(re.fullmatch(BASE64, value)), value


def test_query_parameter_errors_say_query_parameter(
        client: FlaskClient, user: dict[str, Any]) -> None:
    answer = client.get("/v2/users/self/api-tokens", query_string={"limit": "-1"},
                        headers=user["headers"])
    assert answer.status_code == 400
    assert answer.json["message"].startswith("query parameter limit is invalid: ")
    assert "request body" not in answer.json["message"]
    assert answer.json["validationErrors"][0]["path"] == ".limit"
    body = client.post("/v2/users/self/api-tokens", headers=user["headers"], json={})
    assert body.json["message"].startswith("request body is invalid: ")


def _cases(operation: Any) -> st.SearchStrategy[tuple[Any, bool, bool]]:
    """Positive and negative cases, each maybe with the real client and a signed-in user."""
    modes = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return st.tuples(
        modes.flatmap(lambda mode: operation.as_strategy(mode)), st.booleans(), st.booleans())


def _fuzz(operation: Any, client_id: str, secret: str | None,
          user: dict[str, Any]) -> Counter[int]:
    """``EXAMPLES`` cases of ``operation`` checked by ``CHECKS``; the statuses answered."""
    seen: Counter[int] = Counter()

    @settings(max_examples=EXAMPLES, database=None, derandomize=True, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(drawn=_cases(operation))
    def run(drawn: tuple[Any, bool, bool]) -> None:
        case, real_client, signed_in = drawn
        if real_client:
            with_real_client(case, client_id, secret, user["email"], user["password"])
        headers = {}
        if signed_in:
            headers["Authorization"] = f"Bearer {user['token']}"
            if case.headers:
                case.headers.pop("Authorization", None)
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        seen[response.status_code] += 1

    run()
    return seen


@pytest.fixture
def unlimited(make_app: Callable[..., Flask]) -> Flask:
    """An app without the token endpoints' rate limit (its 429 would hide the rest)."""
    return make_app({"USERCORE_OAUTH2_RATELIMIT": ""})


def test_schemathesis_over_our_document_reaches_every_oauth2_operation(
        unlimited: Flask, register: Callable[..., dict[str, Any]]) -> None:
    """Every OAuth2 operation, ``EXAMPLES`` cases each (positive and negative, with a real
    client and a signed-in user or not): no 5xx, every answer as documented."""
    app = unlimited
    facts = register()
    signed_in = app.test_client().post("/v2/authenticate", json={
        "email": facts["email"], "password": facts["password"]})
    user = {**facts, "token": signed_in.json["token"]}
    client_id, secret = new_client(
        app, scopes=("profile",), grant_types=("authorization_code", "refresh_token",
                                               "password"))
    schema = schemathesis.openapi.from_wsgi("/v2/openapi.json", app)
    statuses: dict[str, Counter[int]] = {}
    for operation_id, (method, path) in OAUTH2.items():
        statuses[operation_id] = _fuzz(schema[path][method], client_id, secret, user)
    print({operation_id: dict(seen) for operation_id, seen in statuses.items()})  # -s shows
    for operation_id, seen in statuses.items():
        assert sum(seen.values()) >= EXAMPLES // 2, (operation_id, seen)
    # beyond the refusals: the flow and the endpoints' own answers were reached
    assert statuses["user-oauth-get-authorization"][302], statuses
    assert statuses["oauth2-login-page"][200] or statuses["oauth2-login-page"][302], statuses
    assert statuses["oauth2-consent-page"][200] or statuses["oauth2-consent-page"][302]
    assert statuses["oauth2-revoke-token"][200], statuses
    assert statuses["oauth2-introspect-token"][200], statuses
    assert statuses["user-oauth-retrieve-access-token"][200], statuses


def test_the_fuzz_script_covers_the_oauth2_operations() -> None:
    """``.ci/fuzz.py`` excludes none of them from the run over our document."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / ".ci" / "fuzz.py"
    spec = importlib.util.spec_from_file_location("usercore_ci_fuzz", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not set(OAUTH2) & set(module.SESSION_ENDING)

