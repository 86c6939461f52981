"""Access-token retrieval keys: made by the host (Python call, CLI), exchanged once for a
session through ``POST /v2/authenticate-token-retrieval-key``."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from flask_usercore.errors import NotFound
from flask_usercore.models import Credential, CredentialKind, utcnow
from flask_usercore.security.tokens import hash_token

URL = "/v2/authenticate-token-retrieval-key"
KEY_SHAPE = re.compile(r"^[A-Za-z0-9]{37}$")


def make_key(app: Flask, user_id: str) -> str:
    with app.app_context():
        key: str = app.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user_id))
    return key


@pytest.fixture
def ada(register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return register()


def exchange(client: FlaskClient, key: str, user_id: str) -> Any:
    return client.post(URL, json={"accessTokenRetrievalKey": key, "userId": user_id})


def test_a_key_is_exchanged_once_for_a_session(client: FlaskClient, app: Flask,
                                               ada: dict[str, Any]) -> None:
    key = make_key(app, ada["userId"])
    assert KEY_SHAPE.match(key)
    with app.app_context():  # only its hash is stored
        row = app.extensions["usercore"].core.db.session.scalars(
            select(Credential).where(Credential.kind == CredentialKind.RETRIEVAL_KEY)).one()
        assert row.token_hash == hash_token(key)
    response = exchange(client, key, ada["userId"])
    assert response.status_code == 200
    assert set(response.json) == {"token", "refreshToken", "expiresAt"}
    me = client.get("/v2/users/self",
                    headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200 and me.json["userId"] == ada["userId"]
    again = exchange(client, key, ada["userId"])
    assert again.status_code == 400
    assert again.json["validationErrors"][0]["path"] == ".accessTokenRetrievalKey"


def test_wrong_user_unknown_or_expired_key(client: FlaskClient, app: Flask,
                                           register: Callable[..., dict[str, Any]]) -> None:
    ada, bob = register(), register("bob@example.com")
    key = make_key(app, ada["userId"])
    assert exchange(client, key, bob["userId"]).status_code == 400
    assert exchange(client, "A" * 37, ada["userId"]).status_code == 400
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        session.execute(update(Credential).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        session.commit()
    response = exchange(client, key, ada["userId"])
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "InvalidAccessTokenRetrievalKey"


def test_a_key_is_never_a_bearer_token(client: FlaskClient, app: Flask,
                                       ada: dict[str, Any]) -> None:
    key = make_key(app, ada["userId"])
    for headers in ({"Authorization": f"Bearer {key}"}, {"x-access-token": key}):
        assert client.get("/v2/users/self", headers=headers).status_code == 401
    assert exchange(client, key, ada["userId"]).status_code == 200


@pytest.mark.parametrize(("body", "path", "kind"), [
    ({"userId": str(uuid.uuid4())}, ".accessTokenRetrievalKey", "required"),
    ({"accessTokenRetrievalKey": "A" * 36, "userId": str(uuid.uuid4())},
     ".accessTokenRetrievalKey", "minLength"),
    ({"accessTokenRetrievalKey": "A" * 38, "userId": str(uuid.uuid4())},
     ".accessTokenRetrievalKey", "maxLength"),
    ({"accessTokenRetrievalKey": "A" * 37}, ".userId", "required"),
    ({"accessTokenRetrievalKey": "A" * 37, "userId": "self"}, ".userId", "format")])
def test_bad_input(client: FlaskClient, body: dict[str, Any], path: str, kind: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert [(e["path"], e["type"]) for e in response.json["validationErrors"]] == [
        (path, kind)]


def test_attempts_are_rate_limited(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_RATELIMIT_AUTH": "3/minute"})
    client = app.test_client()
    body = {"accessTokenRetrievalKey": "A" * 37, "userId": str(uuid.uuid4())}
    assert [client.post(URL, json=body).status_code for _ in range(4)] == [400, 400, 400, 429]


def test_unknown_user_gets_no_key(app: Flask) -> None:
    with app.app_context(), pytest.raises(NotFound):
        app.extensions["usercore"].core.create_retrieval_key(uuid.uuid4())


def test_cli_prints_only_the_key(client: FlaskClient, app: Flask, ada: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["usercore", "create-retrieval-key",
                                                ada["userId"]])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert KEY_SHAPE.match(key) and result.output == key + "\n"
    assert exchange(client, key, ada["userId"]).status_code == 200
    unknown = app.test_cli_runner().invoke(args=["usercore", "create-retrieval-key",
                                                 str(uuid.uuid4())])
    assert unknown.exit_code == 1 and "no such user" in unknown.output
