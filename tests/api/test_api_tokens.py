"""API tokens through the Flask test client: the five operations, their bad input, what each
role may call, and that no token kind but a session manages credentials."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update

from flask_usercore.models import Credential, CredentialKind, utcnow
from flask_usercore.security.tokens import hash_token, new_token
from flask_usercore.services.access import SESSION_ONLY
from flask_usercore.services.context import commit
from flask_usercore.services.sessions import revoke_for_password_change, revoke_sessions
from flask_usercore.web.operation import Operation

TOKEN_SHAPE = re.compile(r"^([0-9a-f-]{36}):[A-Za-z0-9_-]{43}:usercore_at$")
URL = "/v2/users/self/api-tokens"


def db_session(app: Flask) -> Any:
    return app.extensions["usercore"].core.db.session


@pytest.fixture
def make_token(client: FlaskClient, user: dict[str, Any]) -> Callable[..., str]:
    def make(roles: tuple[str, ...] = ("api_read",), **extra: Any) -> str:
        response = client.post(URL, json={"description": "script", "roles": list(roles),
                                          **extra}, headers=user["headers"])
        assert response.status_code == 201, response.json
        token: str = response.json["token"]
        return token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def operations(app: Flask) -> Iterator[tuple[str, str, Operation]]:
    """Every mounted operation as (method, concrete path, declaration)."""
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "usercore_operation", None)
        if op is None:
            continue
        path = re.sub(r"<(?:\w+:)?userId>", "self", rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", str(uuid.uuid4()), path)
        yield op.method, path, op


class TestCreate:
    def test_shape_shown_once_and_stored_hashed(self, client: FlaskClient, app: Flask,
                                                user: dict[str, Any],
                                                make_token: Callable[..., str]) -> None:
        token = make_token(("api_read", "api_write"))
        match = TOKEN_SHAPE.match(token)
        assert match, token
        with app.app_context():
            row = db_session(app).get(Credential, uuid.UUID(match.group(1)))
            assert row is not None and row.kind == CredentialKind.API_TOKEN
            assert row.token_hash == hash_token(token)
            assert token not in {row.description, row.roles, row.refresh_hash}
        [listed] = client.get(URL, headers=user["headers"]).json
        assert listed["apiTokenId"] == match.group(1)
        assert listed["roles"] == ["api_read", "api_write"]
        assert "token" not in listed and "expiresAt" not in listed

    @pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
    def test_usable_in_either_header(self, client: FlaskClient, user: dict[str, Any],
                                     make_token: Callable[..., str], header: str) -> None:
        token = make_token()
        value = f"Bearer {token}" if header == "Authorization" else token
        response = client.get("/v2/users/self", headers={header: value})
        assert response.status_code == 200
        assert response.json["userId"] == user["userId"]

    @pytest.mark.parametrize(("body", "path", "kind"), [
        ({"roles": ["api_read"]}, ".description", "required"),
        ({"description": "", "roles": ["api_read"]}, ".description", "minLength"),
        ({"description": "x" * 256, "roles": ["api_read"]}, ".description", "maxLength"),
        ({"description": "a\u0000b", "roles": ["api_read"]}, ".description",
         "controlCharacters"),
        ({"description": "d"}, ".roles", "required"),
        ({"description": "d", "roles": []}, ".roles", "minLength"),
        ({"description": "d", "roles": ["api_read", "api_read"]}, ".roles", "uniqueItems"),
        ({"description": "d", "roles": ["admin"]}, ".roles[0]", "enum"),
        ({"description": "d", "roles": "api_read"}, ".roles", "type"),
        ({"description": "d", "roles": ["api_read"], "expiresAt": "tomorrow"}, ".expiresAt",
         "format"),
        ({"description": "d", "roles": ["api_read"], "expiresAt": "2020-01-01T00:00:00Z"},
         ".expiresAt", "formatMinimum"),
        # before year 1 and after year 9999 in UTC (an OverflowError, a 500, before)
        ({"description": "d", "roles": ["api_read"], "expiresAt": "0001-01-01T00:00:00+14:00"},
         ".expiresAt", "format"),
        ({"description": "d", "roles": ["api_read"], "expiresAt": "9999-12-31T23:59:59-14:00"},
         ".expiresAt", "format"),
        ({"description": "d", "roles": ["api_read"], "token": "mine"}, ".token",
         "additionalProperties")])
    def test_bad_input(self, client: FlaskClient, user: dict[str, Any], body: dict[str, Any],
                       path: str, kind: str) -> None:
        response = client.post(URL, json=body, headers=user["headers"])
        assert response.status_code == 400
        assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
            (path, kind)]

    def test_limit_per_user(self, make_app: Callable[..., Flask]) -> None:
        app = make_app({"USERCORE_MAX_API_TOKENS": 2})
        client = app.test_client()
        with app.app_context():
            from flask_usercore.commands.registration import Person, Register
            from flask_usercore.services.registration import create_user
            deps = app.extensions["usercore"].deps
            create_user(deps, Register("max@example.com", "correct horse battery 77",
                                       Person("Max", "Mustermann")), verified_at=utcnow())
            commit(deps.session)
        token = client.post("/v2/authenticate", json={
            "email": "max@example.com", "password": "correct horse battery 77"}).json["token"]
        body = {"description": "d", "roles": ["api_read"]}
        for _ in range(2):
            assert client.post(URL, json=body, headers=bearer(token)).status_code == 201
        response = client.post(URL, json=body, headers=bearer(token))
        assert response.status_code == 400
        assert response.json["validationErrors"][0]["type"] == "ApiTokenLimitReached"


class TestManage:
    def test_get_edit_delete(self, client: FlaskClient, user: dict[str, Any],
                             make_token: Callable[..., str]) -> None:
        expires = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
        token = make_token(expiresAt=expires.isoformat())
        token_id = token.split(":")[0]
        shown = client.get(f"{URL}/{token_id}", headers=user["headers"]).json
        assert shown["expiresAt"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert shown["description"] == "script"
        edited = client.put(f"{URL}/{token_id}", json={"description": "renamed"},
                            headers=user["headers"])
        assert edited.status_code == 204 and edited.data == b""
        shown = client.get(f"{URL}/{token_id}", headers=user["headers"]).json
        assert shown["description"] == "renamed" and "expiresAt" not in shown  # PUT replaces
        assert client.get("/v2/users/self", headers=bearer(token)).status_code == 200
        assert client.delete(f"{URL}/{token_id}", headers=user["headers"]).status_code == 204
        assert client.get("/v2/users/self", headers=bearer(token)).status_code == 401
        assert client.get(f"{URL}/{token_id}", headers=user["headers"]).status_code == 404

    @pytest.mark.parametrize(("body", "path", "kind"), [
        ({}, ".description", "required"),
        ({"description": "d", "expiresAt": "2020-01-01T00:00:00Z"}, ".expiresAt",
         "formatMinimum"),
        ({"description": "d", "expiresAt": "9999-12-31T23:59:59-14:00"}, ".expiresAt",
         "format"),
        ({"description": "d", "expiresAt": "0001-01-01T00:00:00+14:00"}, ".expiresAt",
         "format"),
        ({"description": "d", "roles": ["api_write"]}, ".roles", "additionalProperties")])
    def test_bad_edit(self, client: FlaskClient, user: dict[str, Any],
                      make_token: Callable[..., str], body: dict[str, Any], path: str,
                      kind: str) -> None:
        token_id = make_token().split(":")[0]
        response = client.put(f"{URL}/{token_id}", json=body, headers=user["headers"])
        assert response.status_code == 400
        assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
            (path, kind)]

    @pytest.mark.parametrize(("method", "body"), [("get", None), ("delete", None),
                                                  ("put", {"description": "mine now"})])
    def test_another_users_or_unknown_token_is_404(
            self, client: FlaskClient, register: Any, login: Any,
            make_token: Callable[..., str], method: str, body: Any) -> None:
        theirs = make_token().split(":")[0]
        register("bob@example.com")
        bob = bearer(login("bob@example.com"))
        for token_id in (theirs, str(uuid.uuid4()), "nope"):
            response = getattr(client, method)(f"{URL}/{token_id}", json=body, headers=bob)
            assert response.status_code == 404, token_id

    def test_pages_and_last_used(self, client: FlaskClient, user: dict[str, Any],
                                 make_token: Callable[..., str]) -> None:
        tokens = [make_token() for _ in range(5)]
        client.get("/v2/users/self", headers=bearer(tokens[0]))
        response = client.get(f"{URL}?limit=2&skip=2", headers=user["headers"])
        assert response.headers["X-Pagination-TotalCount"] == "5"
        assert response.headers["X-Pagination-Page"] == "2"
        assert len(response.json) == 2
        everything = client.get(URL, headers=user["headers"]).json
        used = [t for t in everything if "lastUsed" in t]
        assert [t["apiTokenId"] for t in used] == [tokens[0].split(":")[0]]

    def test_expired_token_is_401(self, client: FlaskClient, app: Flask,
                                  make_token: Callable[..., str]) -> None:
        token = make_token()
        with app.app_context():
            db_session(app).execute(update(Credential).where(
                Credential.token_hash == hash_token(token))
                .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
            db_session(app).commit()
        assert client.get("/v2/users/self", headers=bearer(token)).status_code == 401


class TestWhoMayCallWhat:
    def test_api_read_is_refused_every_unsafe_operation(
            self, client: FlaskClient, app: Flask, make_token: Callable[..., str]) -> None:
        token = make_token(("api_read",))
        tried = 0
        for method, path, op in operations(app):
            if method in ("GET", "HEAD", "OPTIONS") or not op.kinds:
                continue
            response = client.open(path, method=method, json={}, headers=bearer(token))
            assert response.status_code == 403, (method, path, response.json)
            tried += 1
        assert tried >= 10

    def test_api_write_may_change_the_profile(self, client: FlaskClient,
                                              make_token: Callable[..., str]) -> None:
        token = make_token(("api_write",))
        response = client.put("/v2/users/self/personal-information",
                              json={"person": {"firstName": "Augusta", "lastName": "King"}},
                              headers=bearer(token))
        assert response.status_code == 204

    def test_no_kind_but_a_session_manages_credentials(
            self, client: FlaskClient, app: Flask, user: dict[str, Any],
            make_token: Callable[..., str]) -> None:
        oauth2 = new_token()
        with app.app_context():
            db_session(app).execute(insert(Credential), [{
                "id": uuid.uuid4(), "user_id": uuid.UUID(user["userId"]),
                "kind": CredentialKind.OAUTH2, "roles": "profile",
                "token_hash": hash_token(oauth2), "created_at": utcnow(),
                "expires_at": utcnow() + dt.timedelta(hours=1)}])
            db_session(app).commit()
        kinds = {"api_read": make_token(("api_read",)),
                 "api_write": make_token(("api_write",)), "oauth2": oauth2}
        managing = [(m, p) for m, p, op in operations(app) if op.kinds == SESSION_ONLY]
        expected = {("GET", "/v2/users/self/sessions"), ("PUT", "/v2/logout"),
                    ("DELETE", "/v2/users/self/sessions"), ("POST", URL), ("GET", URL),
                    ("DELETE", "/v2/users/self")}
        assert expected <= set(managing)
        for method, path in managing:
            for kind, token in kinds.items():
                response = client.open(path, method=method, json={}, headers=bearer(token))
                assert response.status_code == 403, (kind, method, path, response.json)
        # and a session gets past the check (whatever the operation then answers)
        response = client.get("/v2/users/self/sessions", headers=user["headers"])
        assert response.status_code == 200


class TestRevocation:
    def test_api_tokens_survive_a_session_revocation_unless_configured(
            self, make_app: Callable[..., Flask]) -> None:
        for revokes in (False, True):
            app = make_app({"USERCORE_PASSWORD_CHANGE_REVOKES_API_TOKENS": revokes})
            with app.app_context():
                deps = app.extensions["usercore"].deps
                from flask_usercore.commands.registration import Person, Register
                from flask_usercore.services.registration import create_user
                owner = create_user(deps, Register(f"r{revokes}@example.com",
                                                   "correct horse battery 77", Person("R", "S")),
                                    verified_at=utcnow())
                commit(deps.session)
                now = utcnow()
                rows = [{"id": uuid.uuid4(), "user_id": owner.id, "kind": kind,
                         "token_hash": hash_token(new_token()), "created_at": now}
                        for kind in (CredentialKind.SESSION, CredentialKind.SESSION,
                                     CredentialKind.API_TOKEN)]
                deps.session.execute(insert(Credential), rows)
                kept = rows[0]["id"]
                assert revoke_sessions(deps, owner.id, except_credential_id=kept) == 1
                revoke_for_password_change(deps, owner.id, except_credential_id=kept)
                commit(deps.session)
                left = set(deps.session.scalars(select(Credential.kind).where(
                    Credential.user_id == owner.id)).all())
                assert left == ({CredentialKind.SESSION} if revokes
                                else {CredentialKind.SESSION, CredentialKind.API_TOKEN})
