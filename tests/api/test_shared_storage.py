"""Rate limits and the per-account lockout in a shared storage, and the rule for an outage.

The Redis tests need a server (``USERCORE_TEST_REDIS_URL``, started by ``.ci/run``) and skip
without one; the outage tests point at an address where nothing listens and need no server.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PASSWORD
from tests.redis_support import redis_url_fixture  # noqa: F401 (the redis_url fixture)

Register = Callable[..., dict[str, Any]]
WRONG = "not the password 123"


def unreachable_redis() -> str:
    """A redis:// URL of a local port where nothing listens (bound, never listened on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0?socket_connect_timeout=1&socket_timeout=1"


def login(app: Flask, email: str, password: str, address: str = "192.0.2.1") -> Any:
    return app.test_client().post("/v2/authenticate", json={"email": email, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


def test_rate_limit_in_redis_is_shared_between_apps(
        make_app: Callable[..., Flask], redis_url: str) -> None:
    config = {"USERCORE_RATELIMIT_STORAGE_URI": redis_url, "USERCORE_RATELIMIT_AUTH": "3/minute"}
    # two apps stand for two workers: one counter in Redis
    first, second = make_app(config), make_app(config)
    statuses = [login(app, "nobody@example.com", WRONG).status_code
                for app in (first, second, first)]
    assert statuses == [401, 401, 401]
    limited = login(second, "nobody@example.com", WRONG)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert login(second, "nobody@example.com", WRONG, "192.0.2.2").status_code == 401


def test_lockout_in_redis_is_shared_between_apps(
        make_app: Callable[..., Flask], register: Register, redis_url: str) -> None:
    config = {"USERCORE_RATELIMIT_STORAGE_URI": redis_url, "USERCORE_LOCKOUT_THRESHOLD": 3}
    register()
    first, second = make_app(config), make_app(config)
    # each failure from another address and app: only the account's counter can add them up
    statuses = [login(app, "ada@example.com", WRONG, f"192.0.2.{i}").status_code
                for i, app in enumerate((first, second, first))]
    assert statuses == [401, 401, 401]
    locked = login(second, "ada@example.com", PASSWORD, "192.0.2.9")
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 30


def test_unreachable_storage_answers_503_by_default(
        make_app: Callable[..., Flask], register: Register,
        caplog: pytest.LogCaptureFixture) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": unreachable_redis(),
                    "USERCORE_RATELIMIT_AUTH": "3/minute"})
    response = login(app, "ada@example.com", PASSWORD)
    assert response.status_code == 503
    assert response.json == {"type": "ServiceUnavailable", "code": 503,
                             "message": "the service is temporarily unavailable, try again later"}
    assert int(response.headers["Retry-After"]) >= 1
    assert "rate-limit storage unreachable" in caplog.text


def test_unreachable_storage_with_fail_open_goes_on_and_warns(
        make_app: Callable[..., Flask], register: Register,
        caplog: pytest.LogCaptureFixture) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": unreachable_redis(),
                    "USERCORE_RATELIMIT_AUTH": "3/minute", "USERCORE_RATELIMIT_FAIL_OPEN": True})
    with caplog.at_level(logging.WARNING, "flask_usercore"):
        assert login(app, "ada@example.com", WRONG).status_code == 401  # lockout counts nothing
        assert login(app, "ada@example.com", PASSWORD).status_code == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "going on without it" in r.getMessage()]
    assert warnings
