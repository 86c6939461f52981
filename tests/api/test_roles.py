"""Roles and permissions on the host's own views: ``auth_required(roles=, permissions=)``,
``current_user.roles``/``has_role``/``has_permission``, and the 403 ``PermissionDenied``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from sqlalchemy import event

from flask_usercore import current_user
from flask_usercore.models import Role, User
from flask_usercore.services import roles
from flask_usercore.services.context import commit
from tests.api.roles_support import grant


@pytest.fixture
def app(app: Flask) -> Flask:
    core = app.extensions["usercore"].core

    @app.post("/articles/publish")
    @core.auth_required(roles={"editor"}, permissions={"articles.publish"})
    def publish() -> Any:
        return jsonify(roles=[role.name for role in current_user.roles],
                       editor=current_user.has_role("editor"),
                       publish=current_user.has_permission("articles.publish"),
                       delete=current_user.has_permission("articles.delete"),
                       permissions=sorted(current_user.permissions))

    @app.get("/reports")
    @core.auth_required(permissions={"reports.read"})
    def reports() -> Any:
        return jsonify(ok=True)

    @app.get("/whoami")
    @core.auth_required
    def whoami() -> Any:
        return jsonify(roles=sorted(current_user.role_names))

    return app


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run on the app's engine meanwhile."""
    seen: list[str] = []
    with app.app_context():
        engine = app.extensions["usercore"].core.db.engine

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_user_with_the_role_and_permission_passes_and_sees_them(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    grant(app, user["userId"], "editor", ["articles.publish", "articles.edit"])
    response = client.post("/articles/publish", headers=user["headers"])
    assert response.status_code == 200, response.json
    assert response.json == {"roles": ["editor"], "editor": True, "publish": True,
                             "delete": False,
                             "permissions": ["articles.edit", "articles.publish"]}


def test_the_roles_come_with_the_token_query(app: Flask, client: FlaskClient,
                                             user: dict[str, Any]) -> None:
    grant(app, user["userId"], "editor", ["articles.publish"])
    grant(app, user["userId"], "writer", ["articles.edit"])
    client.post("/articles/publish", headers=user["headers"])  # warm up
    with statements(app) as seen:
        response = client.post("/articles/publish", headers=user["headers"])
    assert response.status_code == 200
    assert response.json["roles"] == ["editor", "writer"]
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, seen  # the token's lookup, roles joined in


def test_a_view_that_checks_no_role_still_shows_them(app: Flask, client: FlaskClient,
                                                     user: dict[str, Any]) -> None:
    grant(app, user["userId"], "editor", ["articles.publish"])
    response = client.get("/whoami", headers=user["headers"])
    assert response.status_code == 200 and response.json == {"roles": ["editor"]}


def test_a_missing_role_is_a_403_naming_it(app: Flask, client: FlaskClient,
                                           user: dict[str, Any]) -> None:
    response = client.post("/articles/publish", headers=user["headers"])
    assert response.status_code == 403
    assert response.json["type"] == "PermissionDenied"
    assert response.json["code"] == 403
    assert response.json["missingRoles"] == ["editor"]
    assert response.json["missingPermissions"] == ["articles.publish"]
    assert "role editor" in response.json["message"]
    grant(app, user["userId"], "editor", [])  # the role without the permission
    response = client.post("/articles/publish", headers=user["headers"])
    assert response.status_code == 403
    assert response.json["missingRoles"] == []
    assert response.json["missingPermissions"] == ["articles.publish"]


def test_a_permission_from_any_role_counts(app: Flask, client: FlaskClient,
                                           user: dict[str, Any]) -> None:
    assert client.get("/reports", headers=user["headers"]).status_code == 403
    grant(app, user["userId"], "analyst", ["reports.read"])
    assert client.get("/reports", headers=user["headers"]).status_code == 200


def test_without_a_token_it_is_still_the_401(client: FlaskClient) -> None:
    response = client.post("/articles/publish")
    assert response.status_code == 401 and response.json["type"] == "Unauthorized"


def test_a_withdrawn_role_stops_at_once(app: Flask, client: FlaskClient,
                                        user: dict[str, Any]) -> None:
    grant(app, user["userId"], "analyst", ["reports.read"])
    assert client.get("/reports", headers=user["headers"]).status_code == 200
    with app.app_context():
        deps = app.extensions["usercore"].deps
        role = roles.find_role(deps, "analyst")
        assert roles.withdraw_role(deps, deps.session.get(User, uuid.UUID(user["userId"])), role)
        commit(deps.session)
    assert client.get("/reports", headers=user["headers"]).status_code == 403


def test_role_service_rules(app: Flask, user: dict[str, Any]) -> None:
    from flask_usercore.errors import Conflict, NotFound, ValidationFailed

    with app.app_context():
        deps = app.extensions["usercore"].deps
        role = roles.create_role(deps, "editor", permissions=["b.x", "a.y", "a.y"],
                                 description="edits")
        assert role.permissions == "a.y b.x"
        with pytest.raises(Conflict):
            roles.create_role(deps, "editor")
        with pytest.raises(ValidationFailed):
            roles.create_role(deps, "bad name")
        with pytest.raises(ValidationFailed):
            roles.create_role(deps, "ok", permissions=["no spaces allowed"])
        with pytest.raises(NotFound):
            roles.find_role(deps, "nobody")
        assert roles.set_permissions(deps, role, add=["c.z"], remove=["a.y"]) == {"b.x", "c.z"}
        member = deps.session.get(User, uuid.UUID(user["userId"]))
        assert roles.assign_role(deps, member, role) is True
        assert roles.assign_role(deps, member, role) is False
        assert member.has_role(role) and member.has_role("editor")
        assert roles.holders(deps, role) == 1
        assert list(roles.users_with_role(deps, role)) == [member.id]
        roles.delete_role(deps, role)
        commit(deps.session)
        assert deps.session.query(Role).count() == 0
        deps.session.expire(member)
        assert member.roles == []


def test_roles_go_with_the_account(app: Flask, client: FlaskClient,
                                   user: dict[str, Any]) -> None:
    from flask_usercore.models.roles import user_roles

    grant(app, user["userId"], "editor", ["articles.publish"])
    response = client.delete("/v2/users/self", headers=user["headers"],
                             json={"password": user["password"]})
    assert response.status_code == 200
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        assert session.execute(user_roles.select()).all() == []
        assert session.query(Role).count() == 1  # the role itself stays


