"""Parallel uses of one authorization code and one refresh token on a real PostgreSQL
server: exactly one wins, the others get ``invalid_grant``, and what the winner got is
revoked (a second use is a reuse, RFC 6749 4.1.2 / RFC 9700 4.14)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.api.oauth2_support import REDIRECT_URI, bearer, code_for, exchange, new_client, pkce

RACERS = 8


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture
def race_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS + 2, "max_overflow": 0}})


def race(app: Flask, auth: tuple[str, str | None], data: dict[str, str]) -> list[Any]:
    """POST ``data`` to the token endpoint from every racer at once; the JSON answers."""
    barrier = threading.Barrier(RACERS, timeout=30)
    results: list[Any] = [None] * RACERS

    def run(index: int) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            response = client.post("/v2/oauth2/token", data=data, auth=auth)
            results[index] = (response.status_code, response.get_json())
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert all(isinstance(r, tuple) for r in results), results
    return results


def _session(app: Flask) -> dict[str, str]:
    from tests.conftest import PASSWORD

    client = app.test_client()
    body = {"email": "race@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}}
    assert client.post("/v2/register", json=body).status_code == 201
    with app.app_context():
        from sqlalchemy import update

        from flask_usercore.models import User, utcnow
        session = app.extensions["usercore"].deps.session
        session.execute(update(User).values(email_verified_at=utcnow()))
        session.commit()
    token = client.post("/v2/authenticate", json={"email": body["email"],
                                                  "password": PASSWORD}).json["token"]
    return bearer(token)


def test_one_code_used_in_parallel_issues_once_and_is_then_revoked(race_app: Flask) -> None:
    client_id, secret = new_client(race_app)
    verifier, challenge = pkce()
    code = code_for(race_app.test_client(), client_id, _session(race_app), challenge)
    results = race(race_app, (client_id, secret), {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier})
    assert Counter(status for status, _ in results) == {200: 1, 400: RACERS - 1}, results
    assert {body["error"] for status, body in results if status == 400} == {"invalid_grant"}
    [winner] = [body for status, body in results if status == 200]
    me = race_app.test_client().get("/v2/users/self", headers=bearer(winner["access_token"]))
    assert me.status_code == 401


def test_one_refresh_token_used_in_parallel_rotates_once(race_app: Flask) -> None:
    client_id, secret = new_client(race_app)
    verifier, challenge = pkce()
    http = race_app.test_client()
    issued = exchange(http, client_id, secret,
                      code_for(http, client_id, _session(race_app), challenge), verifier).json
    results = race(race_app, (client_id, secret), {
        "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]})
    assert Counter(status for status, _ in results)[200] == 1, results
    assert {body["error"] for status, body in results if status == 400} == {"invalid_grant"}
