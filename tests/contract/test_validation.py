"""The contract checker itself: it must reject responses that break the document, accept ours.

Bad responses come from a tiny stand-in Flask app served through :class:`ContractClient` (so the
whole path of the ``client`` fixture is exercised), good ones from the real extension.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.contract.validation import (
    ContractClient,
    ContractViolation,
    contract,
    find_operation,
    from_werkzeug,
    httpx_hook,
    problems,
)

USER_ID = "10203040-1234-5678-abcd-badc0de01234"
GOOD_USER = {
    "userId": USER_ID, "email": "ada@example.com",
    "person": {"firstName": "Ada", "lastName": "Lovelace"},
    "mfa": {"active": False, "setup": False}, "isEmployee": False,
    "registeredAt": "2026-01-02T03:04:05Z", "passwordUpdatedAt": "2026-01-02T03:04:05Z",
    "customerMemberships": {}, "projectMemberships": {},
}
WRONG_CREDENTIALS = {"type": "ValidationError", "code": 401, "validationErrors": [
    {"path": "", "type": "WrongCredentials", "message": "email or password is wrong"}]}


def stand_in(method: str, path: str, status: int, body: Any = None,
             content_type: str = "application/json") -> TestResponse:
    """Let a stand-in app answer ``method path`` with ``body`` through the checking client."""
    app = Flask("contract_stand_in")
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()

    def view(**_: Any) -> Response:
        response = Response(data, status=status, content_type=content_type)
        if not data:
            del response.headers["Content-Type"]
        return response

    app.add_url_rule(path, "view", view, methods=[method])
    app.test_client_class = ContractClient
    return app.test_client().open(path, method=method)


def rejected(method: str, path: str, status: int, body: Any = None,
             content_type: str = "application/json") -> str:
    with pytest.raises(ContractViolation) as caught:
        stand_in(method, path, status, body, content_type)
    return str(caught.value)


def test_the_document_is_loaded_once() -> None:
    assert contract() is contract()


def test_paths_match_relative_to_any_host() -> None:
    operation = find_operation("GET", "/v2/users/self")
    assert operation is not None
    assert (operation / "operationId").read_str() == "user-get-user"
    concrete = find_operation("get", "/v2/users/self/sessions/current/status")
    assert concrete is not None
    assert (concrete / "operationId").read_str() == "user-get-current-session-status"
    deletion = find_operation("DELETE", "/v2/users/self")
    assert deletion is not None
    assert (deletion / "operationId").read_str() == "user-delete-user"
    assert find_operation("GET", "/v2/openapi.json") is None
    assert find_operation("PATCH", "/v2/users/self") is None


def test_a_user_without_user_id_is_rejected_with_a_readable_message() -> None:
    assert stand_in("GET", "/v2/users/self", 200, GOOD_USER).status_code == 200
    message = rejected("GET", "/v2/users/self", 200,
                       {k: v for k, v in GOOD_USER.items() if k != "userId"})
    assert "GET /v2/users/self answered 200" in message
    assert "user-get-user" in message
    assert "'userId' is a required property" in message
    assert '"email": "ada@example.com"' in message


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("userId", "not-a-uuid", "is not a 'uuid'"),
    ("registeredAt", "yesterday", "is not a 'date-time'"),
    ("person", {"firstName": "Ada"}, "'lastName' is a required property"),
    ("email", None, "None is not of type 'string'"),
])
def test_wrong_field_values_are_rejected(field: str, value: Any, expected: str) -> None:
    message = rejected("GET", "/v2/users/self", 200, {**GOOD_USER, field: value})
    assert expected in message


def test_authenticate_401_must_not_carry_a_top_level_message() -> None:
    assert stand_in("POST", "/v2/authenticate", 401, WRONG_CREDENTIALS).status_code == 401
    message = rejected("POST", "/v2/authenticate", 401,
                       {**WRONG_CREDENTIALS, "message": "email or password is wrong"})
    assert "is valid under each of" in message


def test_a_bare_error_without_type_is_rejected() -> None:
    message = rejected("POST", "/v2/register", 400, {"error": "bad"})
    assert "POST /v2/register answered 400" in message


def test_a_status_the_operation_does_not_list_falls_under_default() -> None:
    unauthorized = {"type": "Unauthorized", "message": "a valid access token is required",
                    "code": 401}
    assert stand_in("GET", "/v2/users/self", 401, unauthorized).status_code == 401
    message = rejected("GET", "/v2/users/self", 401, {"message": "no type"})
    assert "'type' is a required property" in message


def test_html_errors_are_rejected() -> None:
    message = rejected("PUT", "/v2/logout", 400, b"<h1>Bad Request</h1>", "text/html")
    assert "text/html" in message


def test_a_body_where_the_document_describes_none_is_rejected() -> None:
    assert stand_in("DELETE", "/v2/users/self", 200).status_code == 200
    assert "without content" in rejected("DELETE", "/v2/users/self", 200, {})


def test_operations_outside_the_document_are_not_checked() -> None:
    assert stand_in("GET", "/v2/openapi.json", 200, b"not json").status_code == 200
    assert stand_in("GET", "/v2/nowhere", 404, b"<p>nope</p>", "text/html").status_code == 404


def test_the_password_policy_object_is_the_one_exempt_body() -> None:
    policy = {"minComplexity": 3, "rules": [{"ruleType": "length", "min": 12}]}
    assert stand_in("GET", "/v2/password-policies/mittwald", 200, policy).status_code == 200
    assert "JSON object" in rejected("GET", "/v2/password-policies/mittwald", 200, ["rules"])
    not_found = {"type": "NotFound", "message": "no such policy"}
    assert "'message' is a required property" in rejected(
        "GET", "/v2/password-policies/x", 404, {"type": "NotFound"})
    assert stand_in("GET", "/v2/password-policies/x", 404, not_found).status_code == 404


def test_the_httpx_hook_checks_socket_responses() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:5000/v2/users/self")
    httpx_hook(httpx.Response(200, json=GOOD_USER, request=request))
    with pytest.raises(ContractViolation, match="'userId' is a required property"):
        httpx_hook(httpx.Response(200, json={k: v for k, v in GOOD_USER.items()
                                             if k != "userId"}, request=request))
    logout = httpx.Request("PUT", "http://127.0.0.1:5000/v2/logout")
    httpx_hook(httpx.Response(204, request=logout))


def test_real_responses_of_the_implemented_operations_conform(
        client: FlaskClient, register: Callable[..., dict[str, Any]],
        login: Callable[..., str]) -> None:
    assert isinstance(client, ContractClient)
    facts = register()
    token = login(facts["email"])
    auth = {"x-access-token": token}
    exchanges = [
        client.post("/v2/authenticate", json={"email": facts["email"], "password": "wrong!"}),
        client.post("/v2/register", json={"email": "not-an-email"}),
        client.post("/v2/verify-registration", json={"email": facts["email"],
                                                      "userId": facts["userId"],
                                                      "token": "000000"}),
        client.get("/v2/users/self", headers=auth),
        client.get(f"/v2/users/{facts['userId']}", headers=auth),
        client.get("/v2/users/self"),
        client.put("/v2/users/self", headers=auth, json={"person": {"firstName": "Augusta",
                                                                     "lastName": "King"}}),
        client.put("/v2/users/self/personal-information", headers=auth,
                   json={"person": {"firstName": "Ada", "lastName": "Lovelace"}}),
        client.post("/v2/users/self/credentials/token", headers=auth),
        client.get("/v2/users/self/sessions/current/status", headers=auth),
        client.put("/v2/logout", headers=auth),
    ]
    statuses = [r.status_code for r in exchanges]
    assert statuses == [401, 400, 400, 200, 200, 401, 204, 204, 200, 200, 204]
    # Every one was checked by the client; checking again by hand finds nothing either.
    for response in exchanges:
        assert problems(*from_werkzeug(response)) == []
