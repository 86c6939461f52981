"""``flask usercore roles ...`` and ``flask usercore users ...``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from flask_usercore import signals
from flask_usercore.models import AdminAuditEntry, Credential, User
from tests.conftest import PASSWORD


def _run(app: Flask, *args: str, input: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=["usercore", *args], input=input)


def test_roles_create_add_list_remove_delete(app: Flask, client: FlaskClient,
                                             user: dict[str, Any]) -> None:
    created = _run(app, "roles", "create", "admin", "-p", "usercore.admin",
                   "--description", "the staff")
    assert created.exit_code == 0, created.output
    again = _run(app, "roles", "create", "admin")
    assert again.exit_code == 1 and "already" in again.output
    bad = _run(app, "roles", "create", "no spaces")
    assert bad.exit_code == 1 and "not a valid" in bad.output
    added = _run(app, "roles", "add", user["email"], "admin")
    assert added.exit_code == 0 and "holds admin" in added.output
    assert "already" in _run(app, "roles", "add", user["userId"], "admin").output
    listed = _run(app, "roles", "list")
    assert listed.output.strip() == "admin  permissions=usercore.admin  holders=1"
    assert client.get("/v2/admin/users", headers=user["headers"]).status_code == 200
    removed = _run(app, "roles", "remove", user["email"], "admin")
    assert removed.exit_code == 0 and "no longer" in removed.output
    assert client.get("/v2/admin/users", headers=user["headers"]).status_code == 403
    assert _run(app, "roles", "add", "nobody@example.com", "admin").exit_code == 1
    assert _run(app, "roles", "add", user["email"], "ghost").exit_code == 1
    assert _run(app, "roles", "delete", "admin").exit_code == 0
    assert _run(app, "roles", "list").output == ""
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        entries = session.scalars(select(AdminAuditEntry)
                                  .order_by(AdminAuditEntry.created_at)).all()
        assert [(e.action, e.actor) for e in entries] == [
            ("create-role", "cli"), ("add-role", "cli"), ("add-role", "cli"),
            ("remove-role", "cli"), ("delete-role", "cli")]


def test_users_list_show_disable_enable_revoke_delete(
        app: Flask, client: FlaskClient, user: dict[str, Any],
        register: Callable[..., dict[str, Any]]) -> None:
    other = register("bob@example.com")
    listed = _run(app, "users", "list")
    assert listed.exit_code == 0
    assert user["email"] in listed.output and "bob@example.com" in listed.output
    assert listed.output.strip().endswith("2 of 2")
    found = _run(app, "users", "list", "-q", "BOB")
    assert "bob@example.com" in found.output and user["email"] not in found.output
    shown = _run(app, "users", "show", user["email"])
    assert shown.exit_code == 0 and "enabled" in shown.output
    assert "name: Ada Lovelace" in shown.output
    assert _run(app, "users", "show", str(uuid.uuid4())).exit_code == 1

    actions: list[str] = []
    with signals.admin_action.connected_to(lambda s, **kw: actions.append(kw["entry"].action),
                                           app):
        disabled = _run(app, "users", "disable", user["email"], "--reason", "abuse")
        assert disabled.exit_code == 0, disabled.output
        assert client.get("/v2/users/self", headers=user["headers"]).status_code == 401
        assert "disabled" in _run(app, "users", "show", user["email"]).output
        assert "1 of 1" in _run(app, "users", "list", "--disabled").output
        login = client.post("/v2/authenticate", json={"email": user["email"],
                                                      "password": PASSWORD})
        assert login.json["validationErrors"][0]["type"] == "AccountDisabled"
        assert _run(app, "users", "enable", user["email"]).exit_code == 0
        assert "was not disabled" in _run(app, "users", "enable", user["email"]).output
        client.post("/v2/authenticate", json={"email": other["email"], "password": PASSWORD})
        revoked = _run(app, "users", "revoke-sessions", other["email"])
        assert revoked.exit_code == 0 and "ended 1" in revoked.output
        refused = _run(app, "users", "delete", other["email"], input="n\n")
        assert refused.exit_code == 1
        deleted = _run(app, "users", "delete", other["email"], "--yes")
        assert deleted.exit_code == 0, deleted.output
    assert actions == ["disable", "enable", "enable", "end-sessions", "delete"]
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        assert session.get(User, uuid.UUID(other["userId"])) is None
        assert session.scalars(select(Credential).where(
            Credential.user_id == uuid.UUID(other["userId"]))).all() == []
