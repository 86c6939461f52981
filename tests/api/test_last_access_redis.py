"""Pending last-use times in Redis: shared by every worker and host (``last_access_redis.py``).

Two apps on one database and one Redis stand for two gunicorn workers. Needs the Redis server
of ``.ci/run`` (``USERCORE_TEST_REDIS_URL``); the outage test needs none.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from flask_usercore.models import Credential, CredentialKind, utcnow
from flask_usercore.runtime.last_access_redis import RedisLastUse
from tests.api.test_shared_storage import unreachable_redis
from tests.conftest import PASSWORD
from tests.redis_support import redis_url_fixture  # noqa: F401 (the redis_url fixture)

Register = Callable[..., dict[str, Any]]
AN_HOUR_AGO = dt.timedelta(hours=1)


def log_in(app: Flask) -> dict[str, str]:
    body = app.test_client().post("/v2/authenticate", json={
        "email": "ada@example.com", "password": PASSWORD}).json
    return {"Authorization": f"Bearer {body['token']}"}


def age_every_credential(app: Flask) -> None:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        session.execute(update(Credential).values(last_used_at=utcnow() - AN_HOUR_AGO))
        session.commit()


def stored_last_use(app: Flask) -> dt.datetime:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        stored = session.scalar(select(Credential.last_used_at)
                                .where(Credential.kind == CredentialKind.SESSION))
        session.rollback()
    assert stored is not None
    return stored


def buffer(app: Flask) -> Any:
    return app.extensions["usercore"].deps.last_access


def test_a_use_recorded_by_one_worker_is_listed_by_another_and_written_once(
        make_app: Callable[..., Flask], register: Register, redis_url: str) -> None:
    config = {"USERCORE_RATELIMIT_STORAGE_URI": redis_url}
    register()
    first, second = make_app(config), make_app(config)
    assert isinstance(buffer(first).shared, RedisLastUse)
    headers = log_in(first)
    age_every_credential(first)
    before = utcnow()
    assert first.test_client().get("/v2/users/self", headers=headers).status_code == 200
    # nothing written yet, and nothing kept in the first worker's memory
    assert stored_last_use(first) < before
    assert buffer(first)._pending == {}
    listed = second.test_client().get("/v2/users/self/sessions", headers=headers).json
    shown = dt.datetime.strptime(listed[0]["lastAccess"], "%Y-%m-%dT%H:%M:%S%z")
    assert shown >= before.replace(microsecond=0)
    # the second worker's flush takes every pending use (the list's own too); the first
    # finds nothing left
    assert buffer(second).flush() == 1
    assert buffer(first).flush() == 0
    assert stored_last_use(first) >= before


def test_an_older_use_never_replaces_a_later_one(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    shared = RedisLastUse(client)
    shared.bind("postgresql://somewhere/one")
    other = RedisLastUse(client)
    other.bind("postgresql://somewhere/two")
    token = uuid.uuid4()
    later = dt.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=dt.UTC)
    shared.record(token, later)
    shared.record(token, later - dt.timedelta(seconds=3))
    assert shared.pending_many([token]) == {token: later}  # to the microsecond
    assert other.pending_many([token]) == {}  # another app's set
    assert shared.pending_many([token, uuid.uuid4()]) == {token: later}
    assert shared.pending_many([]) == {}
    shared.give_back([(token, later - dt.timedelta(seconds=1))])
    assert shared.take() == [(token, later)]
    assert shared.take() == []
    client.close()


def test_with_redis_unreachable_the_worker_keeps_its_uses_and_answers(
        make_app: Callable[..., Flask], register: Register,
        caplog: pytest.LogCaptureFixture) -> None:
    config = {"USERCORE_RATELIMIT_STORAGE_URI": unreachable_redis(),
              "USERCORE_RATELIMIT_FAIL_OPEN": True}
    register()
    app = make_app(config)
    headers = log_in(app)
    age_every_credential(app)
    before = utcnow()
    with caplog.at_level(logging.WARNING, logger="flask_usercore"):
        assert app.test_client().get("/v2/users/self", headers=headers).status_code == 200
    assert any("last-use times kept in this worker" in record.getMessage()
               for record in caplog.records)
    assert buffer(app).flush() == 1
    assert stored_last_use(app) >= before
