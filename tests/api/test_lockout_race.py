"""The per-account lockout under 30 parallel attempts (runtime/lockout.py): an attempt takes
its slot before the secret is compared, so no more than USERCORE_LOCKOUT_THRESHOLD secrets
are ever compared, whatever the number of parallel guesses.

Each request runs in its own thread with its own test client against the real PostgreSQL
server, with the lockout counters in memory and in the real Redis server; a barrier makes
the threads send at once.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask

from flask_usercore.models import User, utcnow
from flask_usercore.services import mfa
from tests.api.oauth2_support import new_client
from tests.conftest import PASSWORD, enable_mfa
from tests.redis_support import redis_url_fixture  # noqa: F401 (the redis_url fixture)

RACERS = 30
THRESHOLD = 5
WRONG = "not the password 1"


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture(params=["memory", "redis"])
def race_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An app whose pool holds one connection per racer; the lockout counters in memory or
    in Redis. No per-address limit: the racers stand for 30 addresses."""
    config: dict[str, Any] = {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0},
        "USERCORE_RATELIMIT_AUTH": "", "USERCORE_OAUTH2_RATELIMIT": ""}
    if request.param == "redis":
        config["USERCORE_RATELIMIT_STORAGE_URI"] = request.getfixturevalue("redis_url")
    return make_app(config)


def race(app: Flask, requests: list[Callable[[Any], Any]]) -> list[Any]:
    """Run every request (a function of a test client) at once; the responses in order."""
    barrier = threading.Barrier(len(requests), timeout=30)
    results: list[Any] = [None] * len(requests)

    def run(index: int, send: Callable[[Any], Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            results[index] = send(client)
        except BaseException as exc:  # reported by the main thread, not swallowed
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return results


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[object]:
    """Count the calls of ``owner.name`` (thread-safe: list.append)."""
    calls: list[object] = []
    real = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def register(app: Flask) -> str:
    client = app.test_client()
    response = client.post("/v2/register", json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert response.status_code == 201, response.json
    user_id: str = response.json["userId"]
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.get_one(User, uuid.UUID(user_id)).email_verified_at = utcnow()
        session.commit()
    return user_id


def login(password: str) -> Callable[[Any], Any]:
    return lambda client: client.post("/v2/authenticate", json={
        "email": "ada@example.com", "password": password})


def test_parallel_wrong_passwords_are_compared_at_most_threshold_times(
        race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    register(race_app)
    verified = counting(monkeypatch, race_app.extensions["usercore"].deps.hasher, "verify")
    responses = race(race_app, [login(WRONG)] * RACERS)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {401: THRESHOLD, 429: RACERS - THRESHOLD}, statuses
    assert len(verified) == THRESHOLD
    assert race_app.test_client().post("/v2/authenticate", json={
        "email": "ada@example.com", "password": PASSWORD}).status_code == 429


def test_the_right_password_in_a_burst_gets_in_only_within_the_threshold(
        race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    register(race_app)
    verified = counting(monkeypatch, race_app.extensions["usercore"].deps.hasher, "verify")
    requests = [login(WRONG)] * RACERS
    requests[RACERS // 2] = login(PASSWORD)
    responses = race(race_app, requests)
    passwords = [args[1] for args in verified]  # (hash, password), in the order compared
    if responses[RACERS // 2].status_code == 200:
        # it took one of the slots: fewer wrong ones were compared before it; its completed
        # login then forgot the failures, as any login does
        assert passwords.index(PASSWORD) <= THRESHOLD - 1, passwords
    else:
        assert responses[RACERS // 2].status_code == 429
        assert len(passwords) == THRESHOLD and PASSWORD not in passwords
        assert Counter(r.status_code for r in responses) == {401: THRESHOLD,
                                                              429: RACERS - THRESHOLD}


def test_parallel_mfa_codes_through_the_password_grant(
        race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = register(race_app)
    secret = enable_mfa(race_app, user_id)
    client_id, client_secret = new_client(race_app, grant_types=("password", "refresh_token"))
    totp = pyotp.TOTP(secret)
    wrong = next(c for c in ("000000", "111111", "222222", "333333")
                 if not totp.verify(c, valid_window=1))
    compared = counting(monkeypatch, mfa, "use_totp")

    def grant(client: Any) -> Any:
        return client.post("/v2/oauth2/token", auth=(client_id, client_secret), data={
            "grant_type": "password", "username": "ada@example.com", "password": PASSWORD,
            "multi_factor_code": wrong, "scope": "profile"})

    responses = race(race_app, [grant] * RACERS)
    assert len(compared) <= THRESHOLD, len(compared)
    assert all(r.status_code in (400, 429) for r in responses)
    assert sum(r.status_code == 400 for r in responses) == len(compared)
