"""Racing admin actions on a real PostgreSQL server: never a 500, one row each.

Each request runs in its own thread with its own test client (its own session and
connection); a barrier makes them send at the same moment.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from flask_usercore.models import Credential, User
from flask_usercore.models.roles import user_roles
from tests.api.roles_support import grant, make_admin
from tests.conftest import PASSWORD, Mailbox

RACERS = 8


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture
def race_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS + 2,
                                                   "max_overflow": 0}})


def race(app: Flask, calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]]
         ) -> list[tuple[int, Any]]:
    """Send every ``(method, path, json, headers)`` at once; the statuses and JSON bodies,
    in order."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[tuple[int, Any] | BaseException | None] = [None] * len(calls)

    def run(index: int, method: str, path: str, body: dict[str, Any] | None,
            headers: dict[str, str]) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            response = client.open(path, method=method, json=body, headers=headers)
            results[index] = (response.status_code, response.json)
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, tuple) for r in results), results
    return [r for r in results if isinstance(r, tuple)]


def _user(app: Flask, mailbox: Mailbox, email: str) -> dict[str, Any]:
    client = app.test_client()
    response = client.post("/v2/register", json={
        "email": email, "password": PASSWORD, "person": {"firstName": "A", "lastName": "B"}})
    user_id = response.json["userId"]
    client.post("/v2/verify-registration", json={"email": email, "userId": user_id,
                                                 "token": mailbox.last_code(email)})
    token = client.post("/v2/authenticate", json={"email": email, "password": PASSWORD}
                        ).json["token"]
    return {"userId": user_id, "email": email, "headers": {"Authorization": f"Bearer {token}"}}


def test_the_same_role_given_at_once_is_one_row(race_app: Flask, mailbox: Mailbox) -> None:
    admin = _user(race_app, mailbox, "root@example.com")
    member = _user(race_app, mailbox, "bob@example.com")
    make_admin(race_app, admin["userId"])
    grant(race_app, admin["userId"], "editor", ["articles.publish"])
    path = f"/v2/admin/users/{member['userId']}/roles/editor"
    statuses = [status for status, _ in
                race(race_app, [("PUT", path, None, admin["headers"])] * RACERS)]
    assert statuses == [204] * RACERS
    with race_app.app_context():
        session = race_app.extensions["usercore"].deps.session
        assert session.scalar(select(func.count()).select_from(user_roles).where(
            user_roles.c.user_id == uuid.UUID(member["userId"]))) == 1


def test_disable_racing_logins_leaves_no_usable_session(race_app: Flask,
                                                        mailbox: Mailbox) -> None:
    """Logins that read the account before the disable committed may still write a session
    after it; the authenticator refuses such a session (401 AccountDisabled)."""
    admin = _user(race_app, mailbox, "root@example.com")
    member = _user(race_app, mailbox, "bob@example.com")
    make_admin(race_app, admin["userId"])
    login = ("POST", "/v2/authenticate", {"email": member["email"], "password": PASSWORD}, {})
    disable = ("POST", f"/v2/admin/users/{member['userId']}/actions/disable", None,
               admin["headers"])
    answers = race(race_app, [login] * (RACERS - 1) + [disable])
    assert answers[-1][0] == 204
    assert {status for status, _ in answers[:-1]} <= {200, 401}
    tokens = [body["token"] for status, body in answers[:-1] if status == 200]
    with race_app.app_context():
        session = race_app.extensions["usercore"].deps.session
        assert session.get(User, uuid.UUID(member["userId"])).disabled_at is not None
        left = session.scalars(select(Credential.id).where(
            Credential.user_id == uuid.UUID(member["userId"]))).all()
    client = race_app.test_client()
    assert client.get("/v2/users/self", headers=member["headers"]).status_code == 401
    # sessions written by logins that read the account before the disable committed
    assert len(left) <= len(tokens)
    for token in tokens:
        response = client.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json["type"] in ("AccountDisabled", "Unauthorized")
    after = client.post("/v2/authenticate", json={"email": member["email"],
                                                  "password": PASSWORD})
    assert after.json["validationErrors"][0]["type"] == "AccountDisabled"
