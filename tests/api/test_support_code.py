"""``GET /v2/users/self/credentials/support-code`` and ``flask usercore check-support-code``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from flask_usercore.models import OneTimeCode

URL = "/v2/users/self/credentials/support-code"


def get_code(client: FlaskClient, user: dict[str, Any], **query: str) -> Any:
    response = client.get(URL, headers=user["headers"], query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def check(app: Flask, code: str) -> Any:
    return app.test_cli_runner().invoke(args=["usercore", "check-support-code", code])


def test_six_digits_with_expiry(client: FlaskClient, user: dict[str, Any]) -> None:
    body = get_code(client, user)
    assert len(body["supportCode"]) == 6 and body["supportCode"].isdigit()
    expires = dt.datetime.fromisoformat(body["expiresAt"])
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)


def test_the_same_live_code_again_unless_forced(client: FlaskClient,
                                                user: dict[str, Any]) -> None:
    first = get_code(client, user)
    assert get_code(client, user) == first
    assert get_code(client, user, forceRecreate="false") == first
    forced = get_code(client, user, forceRecreate="true")
    assert forced["expiresAt"] >= first["expiresAt"]
    assert get_code(client, user) == forced


def test_stored_only_hashed(app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    code = get_code(client, user)["supportCode"]
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        row = session.scalars(select(OneTimeCode).where(OneTimeCode.purpose == "support")).one()
        assert code not in (row.code_hash, row.target)
        assert len(row.code_hash) == 64


def test_check_support_code_names_the_user(app: Flask, client: FlaskClient,
                                           user: dict[str, Any]) -> None:
    code = get_code(client, user)["supportCode"]
    result = check(app, code)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{user['userId']} {user['email']} (valid until ")


def test_check_support_code_unknown_forced_away_or_expired(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    old = get_code(client, user)["supportCode"]
    new = get_code(client, user, forceRecreate="true")["supportCode"]
    if old != new:
        assert check(app, old).exit_code == 1
    unknown = next(c for c in ("000000", "111111", "222222") if c != new)
    result = check(app, unknown)
    assert result.exit_code == 1
    assert "unknown or expired" in result.output
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        session.execute(update(OneTimeCode).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert check(app, new).exit_code == 1
    assert get_code(client, user)["supportCode"] is not None  # a new one is issued


def test_codes_of_two_users_name_each(app: Flask, client: FlaskClient,
                                      register: Callable[..., Any],
                                      login: Callable[..., str]) -> None:
    users = []
    for email in ("ada@example.com", "grace@example.com"):
        facts = register(email)
        users.append({**facts, "headers": {"Authorization": f"Bearer {login(email)}"}})
    codes = [get_code(client, u)["supportCode"] for u in users]
    assert codes[0] != codes[1]
    for facts, code in zip(users, codes, strict=True):
        assert facts["email"] in check(app, code).output


def test_api_tokens_may_not_request_a_support_code(client: FlaskClient,
                                                   user: dict[str, Any]) -> None:
    created = client.post("/v2/users/self/api-tokens", headers=user["headers"], json={
        "description": "ci", "roles": ["api_read"]})
    response = client.get(URL, headers={"Authorization": f"Bearer {created.json['token']}"})
    assert response.status_code == 403
