"""Who may call what: every credential kind against every mounted operation (DESIGN.md).

A credential is a row of the credentials table; the test stores one of each kind for a
verified user and calls every operation our blueprints mount with it. The expected answer is
derived from the kind and the operation's declaration, and checked on the wire: 401 for
what is no bearer token at all, 403 (``insufficient_scope`` for OAuth2) for a credential that
may not call the operation, and anything but 401/403 for one that may.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.models import Credential, utcnow
from flask_usercore.security.tokens import hash_token, new_token
from flask_usercore.web.operation import Operation

#: name -> (kind, roles or scopes) of the credential rows the matrix uses.
CREDENTIALS: dict[str, tuple[str, str | None]] = {
    "session": ("session", None),
    "api_read": ("api_token", "api_read"),
    "api_write": ("api_token", "api_write"),
    "oauth2_profile": ("oauth2", "profile"),
    "oauth2_other": ("oauth2", "openid"),
    "retrieval_key": ("retrieval_key", None),
}
SAFE = {"GET", "HEAD", "OPTIONS"}


#: Public operations that authenticate a resource owner themselves, with the kinds they take
#: (the OAuth2 authorize endpoint: a login page for a browser without one).
OWNER_KINDS = dict.fromkeys(
    ("user-oauth-get-authorization", "oauth2-login-page", "oauth2-consent-page",
     "oauth2-consent"), frozenset({"session"}))


def expected(op: Operation, name: str) -> int | None:
    """401 or 403 when ``name`` may not call ``op``; None when it may."""
    kind, roles = CREDENTIALS[name]
    if op.operation_id in OWNER_KINDS:
        return None if kind in OWNER_KINDS[op.operation_id] else (
            401 if kind == "retrieval_key" else 403)
    if not op.kinds:
        return None  # public: a token is ignored
    if kind == "retrieval_key":
        return 401
    if kind not in op.kinds:
        return 403
    if kind == "api_token" and roles == "api_read" and op.method not in SAFE:
        return 403
    if kind == "oauth2" and not set(op.scopes) <= {roles}:
        return 403
    if op.permissions:  # the admin API: the user holds no permission
        return 403
    if op.fresh and kind != "session":
        return 401  # ReauthenticationRequired: only a fresh session passes without password
    return None


def mounted(app: Flask) -> list[Operation]:
    ops = []
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "usercore_operation", None)
        if op is not None:
            ops.append(op)
    return ops


def url(op: Operation) -> str:
    return "/v2" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "self", op.rule)


@pytest.fixture
def tokens(app: Flask, user: dict[str, Any]) -> dict[str, str]:
    """One credential row of each kind for ``user``; the tokens in clear."""
    made: dict[str, str] = {}
    session = app.extensions["usercore"].deps.session
    with app.app_context():
        for name, (kind, roles) in CREDENTIALS.items():
            token = new_token()
            session.add(Credential(
                id=uuid.uuid4(), user_id=uuid.UUID(user["userId"]), kind=kind,
                token_hash=hash_token(token), roles=roles,
                expires_at=utcnow() + dt.timedelta(hours=1),
                # a session made by a login just now: fresh (services/reauth.py)
                authenticated_at=utcnow() if kind == "session" else None))
            made[name] = token
        session.commit()
    return made


def test_every_operation_declares_who_may_call_it(app: Flask) -> None:
    ops = mounted(app)
    assert len(ops) >= 10
    for op in ops:
        assert op.kinds <= {"session", "api_token", "oauth2"}, op.operation_id
        if "oauth2" in op.kinds:
            assert op.scopes, f"{op.operation_id} takes OAuth2 tokens but names no scope"


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_every_kind_on_every_operation(app: Flask, client: FlaskClient,
                                       tokens: dict[str, str], name: str) -> None:
    for op in mounted(app):
        if op.rule == "/users/self" and op.method == "DELETE" and expected(op, name) is None:
            continue  # the one that succeeds would delete the account: tested apart
        if op.rule == "/logout" and expected(op, name) is None:
            continue  # would end the session: tested apart
        response = client.open(url(op), method=op.method, json={},
                               headers={"x-access-token": tokens[name]})
        want = expected(op, name)
        where = f"{name} on {op.method} {op.rule}: {response.status_code} {response.json}"
        if want is None:
            # revocation and introspection refuse a missing client authentication with RFC
            # 6749 5.2's 401 invalid_client: the client's, not the caller's token's
            client_auth = (op.error_format == "oauth2" and response.status_code == 401
                           and response.json.get("error") == "invalid_client")
            assert client_auth or response.status_code not in (401, 403), where
            continue
        assert response.status_code == want, where
        if want == 403 and response.json["type"] == "PermissionDenied":
            # a user without the permission (tests/api/test_admin.py)
            assert op.permissions and response.json["missingPermissions"], where
            continue
        refused = "Forbidden" if want == 403 else (
            "ReauthenticationRequired" if op.fresh and name != "retrieval_key"
            else "Unauthorized")
        assert response.json["type"] == refused, where
        challenge = response.headers.get("WWW-Authenticate", "")
        if CREDENTIALS[name][0] == "oauth2" and op.operation_id not in OWNER_KINDS:
            assert 'error="insufficient_scope"' in challenge, where
        else:
            assert "insufficient_scope" not in challenge, where


@pytest.mark.parametrize("name", ["api_write", "oauth2_profile"])
def test_account_deletion_and_logout_need_a_session(client: FlaskClient, tokens: dict[str, str],
                                                    user: dict[str, Any], name: str) -> None:
    headers = {"x-access-token": tokens[name], "x-apitree-password": user["password"]}
    assert client.delete("/v2/users/self", headers=headers, json={}).status_code == 403
    assert client.put("/v2/logout", headers=headers).status_code == 403
    assert client.get("/v2/users/self", headers=user["headers"]).status_code == 200


def test_refresh_token_and_codes_are_not_bearer_tokens(client: FlaskClient,
                                                       register: Callable[..., Any],
                                                       mailbox: Any) -> None:
    facts = register("grace@example.com", verify=False)
    code = mailbox.last_code("grace@example.com")
    login = client.post("/v2/verify-registration", json={
        "email": "grace@example.com", "userId": facts["userId"], "token": code})
    assert login.status_code == 200
    session = client.post("/v2/authenticate", json={"email": "grace@example.com",
                                                    "password": facts["password"]}).json
    for token in (session["refreshToken"], code):
        response = client.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    assert client.get("/v2/users/self",
                      headers={"Authorization": f"Bearer {session['token']}"}).status_code == 200


def test_oauth2_profile_token_reads_and_updates_the_profile(
        client: FlaskClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['oauth2_profile']}"}
    assert client.get("/v2/users/self", headers=headers).status_code == 200
    assert client.put("/v2/users/self", headers=headers,
                      json={"company": "ACME"}).status_code == 204
    assert client.get("/v2/users/self", headers=headers).json["company"] == "ACME"
    other = client.get("/v2/users/self",
                       headers={"Authorization": f"Bearer {tokens['oauth2_other']}"})
    assert other.status_code == 403
    assert other.headers["WWW-Authenticate"] == \
        'Bearer error="insufficient_scope", scope="profile"'
