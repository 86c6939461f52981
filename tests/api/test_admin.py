"""The admin API (``/v2/admin/...``): who may call it, every operation, its audit and
signals, and its place in our OpenAPI document."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from flask_usercore import signals
from flask_usercore.models import MfaSecret, User
from tests.api.oauth2_support import bearer, code_for, exchange, new_client
from tests.api.roles_support import grant, make_admin
from tests.conftest import PASSWORD, enable_mfa

Register = Callable[..., dict[str, Any]]
Login = Callable[..., str]


@pytest.fixture
def admin(app: Flask, register: Register, login: Login) -> dict[str, Any]:
    facts = register("root@example.com")
    make_admin(app, facts["userId"])
    token = login(facts["email"])
    return {**facts, "token": token, "headers": bearer(token)}


@pytest.fixture
def member(register: Register, login: Login) -> dict[str, Any]:
    facts = register("bob@example.com")
    token = login(facts["email"])
    return {**facts, "token": token, "headers": bearer(token)}


def test_a_user_without_the_permission_gets_permission_denied(
        client: FlaskClient, member: dict[str, Any]) -> None:
    response = client.get("/v2/admin/users", headers=member["headers"])
    assert response.status_code == 403
    assert response.json["type"] == "PermissionDenied"
    assert response.json["missingPermissions"] == ["usercore.admin"]
    assert client.get("/v2/admin/users").status_code == 401


def test_list_and_search_users_paginated(app: Flask, client: FlaskClient,
                                         admin: dict[str, Any], member: dict[str, Any],
                                         register: Register) -> None:
    register("carol@example.com", nickname="Caro")
    response = client.get("/v2/admin/users", headers=admin["headers"])
    assert response.status_code == 200
    assert [u["email"] for u in response.json] == ["root@example.com", "bob@example.com",
                                                   "carol@example.com"]
    assert response.headers["X-Pagination-TotalCount"] == "3"
    first = response.json[0]
    assert first["roles"] == ["admin"] and first["permissions"] == ["usercore.admin"]
    assert first["disabled"] is False and first["mfa"] == {"active": False, "setup": False}
    assert first["person"] == {"firstName": "Ada", "lastName": "Lovelace"}
    page = client.get("/v2/admin/users?limit=1&page=2", headers=admin["headers"])
    assert [u["email"] for u in page.json] == ["bob@example.com"]
    assert page.headers["X-Pagination-Page"] == "2"
    assert page.headers["X-Pagination-TotalCount"] == "3"
    found = client.get("/v2/admin/users?q=CARO", headers=admin["headers"])
    assert [u["email"] for u in found.json] == ["carol@example.com"]
    assert found.headers["X-Pagination-TotalCount"] == "1"
    by_role = client.get("/v2/admin/users?role=admin", headers=admin["headers"])
    assert [u["email"] for u in by_role.json] == ["root@example.com"]
    literal = client.get("/v2/admin/users?q=%25", headers=admin["headers"])
    assert literal.json == []  # LIKE wildcards are searched for, not used
    bad = client.get("/v2/admin/users?disabled=maybe", headers=admin["headers"])
    assert bad.status_code == 400 and bad.json["type"] == "ValidationError"
    assert client.get("/v2/admin/users?limit=-1", headers=admin["headers"]).status_code == 400


def test_show_one_user(client: FlaskClient, admin: dict[str, Any],
                       member: dict[str, Any]) -> None:
    response = client.get(f"/v2/admin/users/{member['userId']}", headers=admin["headers"])
    assert response.status_code == 200
    assert response.json["userId"] == member["userId"]
    assert response.json["emailVerified"] is True and "disabledAt" not in response.json
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        gone = client.get(f"/v2/admin/users/{missing}", headers=admin["headers"])
        assert gone.status_code == 404 and gone.json["type"] == "NotFound"


def test_disable_and_enable(client: FlaskClient, admin: dict[str, Any],
                            member: dict[str, Any]) -> None:
    url = f"/v2/admin/users/{member['userId']}"
    response = client.post(f"{url}/actions/disable", headers=admin["headers"],
                           json={"reason": "spam"})
    assert response.status_code == 204
    assert client.get("/v2/users/self", headers=member["headers"]).status_code == 401
    shown = client.get(url, headers=admin["headers"]).json
    assert shown["disabled"] is True and "disabledAt" in shown
    only_disabled = client.get("/v2/admin/users?disabled=true", headers=admin["headers"])
    assert [u["userId"] for u in only_disabled.json] == [member["userId"]]
    login = client.post("/v2/authenticate", json={"email": member["email"],
                                                  "password": PASSWORD})
    assert login.json["validationErrors"][0]["type"] == "AccountDisabled"
    # no body at all is fine too
    assert client.post(f"{url}/actions/enable", headers=admin["headers"]).status_code == 204
    login = client.post("/v2/authenticate", json={"email": member["email"],
                                                  "password": PASSWORD})
    assert login.status_code == 200
    mine = client.post(f"/v2/admin/users/{admin['userId']}/actions/disable",
                       headers=admin["headers"])
    assert mine.status_code == 409 and mine.json["type"] == "Conflict"


def test_end_sessions(client: FlaskClient, admin: dict[str, Any],
                      member: dict[str, Any]) -> None:
    response = client.delete(f"/v2/admin/users/{member['userId']}/sessions",
                             headers=admin["headers"])
    assert response.status_code == 204
    assert client.get("/v2/users/self", headers=member["headers"]).status_code == 401


def test_reset_mfa(app: Flask, client: FlaskClient, admin: dict[str, Any],
                   member: dict[str, Any], mailbox: Any) -> None:
    url = f"/v2/admin/users/{member['userId']}/mfa"
    none = client.delete(url, headers=admin["headers"])
    assert none.status_code == 400
    assert none.json["validationErrors"][0]["type"] == "MfaNotInitialized"
    enable_mfa(app, member["userId"])
    assert client.delete(url, headers=admin["headers"]).status_code == 204
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        assert session.scalars(select(MfaSecret)).all() == []
    assert mailbox.sent[-1].to == member["email"]
    assert client.get("/v2/users/self", headers=member["headers"]).status_code == 401


def test_assign_and_remove_roles(app: Flask, client: FlaskClient, admin: dict[str, Any],
                                 member: dict[str, Any]) -> None:
    grant(app, admin["userId"], "editor", ["articles.publish"])
    url = f"/v2/admin/users/{member['userId']}/roles"
    assert client.put(f"{url}/editor", headers=admin["headers"]).status_code == 204
    assert client.put(f"{url}/editor", headers=admin["headers"]).status_code == 204
    shown = client.get(f"/v2/admin/users/{member['userId']}", headers=admin["headers"]).json
    assert shown["roles"] == ["editor"] and shown["permissions"] == ["articles.publish"]
    assert client.delete(f"{url}/editor", headers=admin["headers"]).status_code == 204
    unknown = client.put(f"{url}/nope", headers=admin["headers"])
    assert unknown.status_code == 404
    listed = client.get("/v2/admin/roles", headers=admin["headers"])
    assert [r["name"] for r in listed.json] == ["admin", "editor"]
    assert listed.json[1]["permissions"] == ["articles.publish"]


def test_delete_a_user(app: Flask, client: FlaskClient, admin: dict[str, Any],
                       member: dict[str, Any]) -> None:
    deleted: list[Any] = []
    with signals.user_deleted.connected_to(lambda s, **kw: deleted.append(kw["user_id"]), app):
        response = client.delete(f"/v2/admin/users/{member['userId']}",
                                 headers=admin["headers"])
    assert response.status_code == 204
    assert deleted == [uuid.UUID(member["userId"])]
    with app.app_context():
        assert app.extensions["usercore"].deps.session.get(
            User, uuid.UUID(member["userId"])) is None
    mine = client.delete(f"/v2/admin/users/{admin['userId']}", headers=admin["headers"])
    assert mine.status_code == 409


def test_every_action_is_audited_and_signalled(app: Flask, client: FlaskClient,
                                               admin: dict[str, Any],
                                               member: dict[str, Any]) -> None:
    seen: list[tuple[str, str]] = []
    url = f"/v2/admin/users/{member['userId']}"
    with signals.admin_action.connected_to(
            lambda s, **kw: seen.append((kw["entry"].action, kw["entry"].actor)), app):
        client.post(f"{url}/actions/disable", headers=admin["headers"], json={"reason": "x"})
        client.post(f"{url}/actions/enable", headers=admin["headers"])
        client.delete(f"{url}/sessions", headers=admin["headers"])
        client.put(f"{url}/roles/admin", headers=admin["headers"])
        client.delete(f"{url}/roles/admin", headers=admin["headers"])
        client.delete(url, headers=admin["headers"])
        client.delete(f"{url}/mfa", headers=admin["headers"])  # 404: nothing recorded
    actions = ["disable", "enable", "end-sessions", "add-role", "remove-role", "delete"]
    assert seen == [(action, admin["email"]) for action in actions]
    audit = client.get("/v2/admin/audit", headers=admin["headers"])
    assert audit.status_code == 200
    assert [e["action"] for e in audit.json] == actions[::-1]
    assert audit.headers["X-Pagination-TotalCount"] == "6"
    entry = audit.json[-1]
    assert entry["actorId"] == admin["userId"] and entry["actor"] == admin["email"]
    assert entry["userId"] == member["userId"] and entry["details"]["reason"] == "x"
    assert audit.json[-2]["details"] == {"wasDisabled": True}
    only = client.get(f"/v2/admin/audit?action=add-role&userId={member['userId']}&limit=5",
                      headers=admin["headers"])
    assert [e["details"]["role"] for e in only.json] == ["admin"]
    assert client.get("/v2/admin/audit?userId=nope", headers=admin["headers"]
                      ).status_code == 400


def test_an_absent_reason_is_left_out_of_the_audit(client: FlaskClient, admin: dict[str, Any],
                                                  member: dict[str, Any]) -> None:
    url = f"/v2/admin/users/{member['userId']}/actions/disable"
    assert client.post(url, headers=admin["headers"]).status_code == 204
    entry = client.get("/v2/admin/audit", headers=admin["headers"]).json[0]
    assert entry["details"] == {"credentialsEnded": 1}
    assert "actorId" in entry and entry["action"] == "disable"


def test_a_refused_action_records_nothing(app: Flask, client: FlaskClient,
                                          admin: dict[str, Any], member: dict[str, Any]) -> None:
    client.get("/v2/admin/users", headers=member["headers"])  # 403
    client.delete(f"/v2/admin/users/{admin['userId']}", headers=admin["headers"])  # 409
    assert client.get("/v2/admin/audit", headers=admin["headers"]).json == []


def test_api_tokens_need_the_admin_role(client: FlaskClient, admin: dict[str, Any],
                                        member: dict[str, Any]) -> None:
    plain = client.post("/v2/users/self/api-tokens", headers=admin["headers"],
                        json={"description": "plain", "roles": ["api_write"]}).json["token"]
    refused = client.get("/v2/admin/users", headers=bearer(plain))
    assert refused.status_code == 403 and refused.json["type"] == "PermissionDenied"
    assert "usercore.admin" in refused.json["message"]
    created = client.post("/v2/users/self/api-tokens", headers=admin["headers"], json={
        "description": "admin", "roles": ["api_read", "usercore.admin"]})
    assert created.status_code == 201
    token = created.json["token"]
    assert client.get("/v2/admin/users", headers=bearer(token)).status_code == 200
    # api_read: a read-only admin token
    disable = client.post(f"/v2/admin/users/{member['userId']}/actions/disable",
                          headers=bearer(token))
    assert disable.status_code == 403
    listed = client.get("/v2/users/self/api-tokens", headers=admin["headers"]).json
    shown = {t["description"]: t for t in listed}
    assert shown["admin"]["roles"] == ["api_read"] and shown["admin"]["admin"] is True
    assert shown["plain"]["admin"] is False
    # only a holder of the permission may make one
    denied = client.post("/v2/users/self/api-tokens", headers=member["headers"], json={
        "description": "x", "roles": ["api_write", "usercore.admin"]})
    assert denied.status_code == 403 and denied.json["type"] == "PermissionDenied"
    alone = client.post("/v2/users/self/api-tokens", headers=admin["headers"], json={
        "description": "x", "roles": ["usercore.admin"]})
    assert alone.status_code == 400


def test_oauth2_tokens_need_the_admin_scope(app: Flask, client: FlaskClient,
                                            admin: dict[str, Any],
                                            member: dict[str, Any]) -> None:
    client_id, secret = new_client(app, scopes=("profile", "usercore.admin"))
    code = code_for(client, client_id, admin["headers"])  # scope profile
    profile = exchange(client, client_id, secret, code).json["access_token"]
    refused = client.get("/v2/admin/users", headers=bearer(profile))
    assert refused.status_code == 403
    assert 'insufficient_scope' in refused.headers["WWW-Authenticate"]
    code = code_for(client, client_id, admin["headers"], scope="usercore.admin")
    scoped = exchange(client, client_id, secret, code).json["access_token"]
    assert client.get("/v2/admin/users", headers=bearer(scoped)).status_code == 200
    code = code_for(client, client_id, member["headers"], scope="usercore.admin")
    not_admin = exchange(client, client_id, secret, code).json["access_token"]
    denied = client.get("/v2/admin/users", headers=bearer(not_admin))
    assert denied.status_code == 403 and denied.json["type"] == "PermissionDenied"


def test_the_admin_api_is_in_our_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/v2/openapi.json").json
    operations = {op["operationId"]: op for path in spec["paths"].values()
                  for op in path.values()}
    admin_ops = {name for name in operations if name.startswith("admin-")}
    assert admin_ops == {"admin-list-users", "admin-get-user", "admin-disable-user",
                         "admin-enable-user", "admin-end-sessions", "admin-reset-mfa",
                         "admin-add-role", "admin-remove-role", "admin-delete-user",
                         "admin-list-roles", "admin-list-audit"}
    for name in admin_ops:
        assert operations[name]["x-usercore-permissions"] == ["usercore.admin"]
        assert operations[name]["tags"] == ["Admin"]
        assert "oauth2" in operations[name]["x-usercore-kinds"]
    assert "/v2/admin/users/{userId}/actions/disable" in spec["paths"]
