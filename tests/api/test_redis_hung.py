"""A hung Redis (SIGSTOP) and a dead one: short timeouts, the circuit breaker, reads unharmed.

Each test starts its own ``redis-server`` (Debian's, on a free port, no persistence) so that it
can stop it with SIGSTOP (a hung server: connections are accepted by the kernel, nothing ever
answers) without touching the shared one; skipped when ``redis-server`` is not installed.
The load version (gunicorn, several clients, the write audit) is ``benchmarks/faults.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from flask_usercore.runtime.breaker import Breaker, BreakerOpen
from tests.conftest import PASSWORD
from tests.fault_servers import OwnRedis
from tests.fault_servers import own_redis as own_redis  # the fixture

Register = Callable[..., dict[str, Any]]
#: A hung call costs 2 s (far above what a request costs on a loaded machine, so that a
#: request that waited for Redis is told apart by its time); Redis is then left alone for 30 s.
HUNG = {"USERCORE_REDIS_TIMEOUT_MS": 2000, "USERCORE_REDIS_RETRY_SECONDS": 30,
        "USERCORE_LAST_ACCESS_FLUSH_SECONDS": 3600}


@pytest.fixture
def redis_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command sent to any Redis (scripts included), in order."""
    import redis

    calls: list[str] = []
    original = redis.Redis.execute_command

    def counted(self: Any, *args: Any, **options: Any) -> Any:
        calls.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return calls


def log_in(app: Flask, address: str = "192.0.2.1") -> Any:
    return app.test_client().post("/v2/authenticate",
                                  json={"email": "ada@example.com", "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": address})


def timed_reads(app: Flask, token: str, count: int) -> list[float]:
    client, took = app.test_client(), []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get("/v2/users/self", headers={"x-access-token": token})
        took.append(time.perf_counter() - began)
        assert response.status_code == 200
    return took


@pytest.mark.parametrize("fail_open", [False, True])
def test_a_hung_redis_costs_one_timeout_then_logins_follow_the_rule_at_once(
        make_app: Callable[..., Flask], register: Register, own_redis: OwnRedis,
        redis_calls: list[str], fail_open: bool, caplog: pytest.LogCaptureFixture) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url,
                    "USERCORE_RATELIMIT_FAIL_OPEN": fail_open, **HUNG})
    token = log_in(app).json["token"]
    timed_reads(app, token, 5)
    own_redis.hang()
    redis_calls.clear()
    # the first read finds out (one timeout, no retries: before, redis-py retried 3 times
    # with a backoff, and without a timeout it waited for ever); the others do not ask
    hung = timed_reads(app, token, 30)
    assert redis_calls == ["ZADD"]
    assert 1.9 < hung[0] < 6.0
    assert max(hung[1:]) < 1.5, hung
    response = log_in(app, "192.0.2.2")
    assert redis_calls == ["ZADD"]  # the login did not ask either: the breaker is open
    if fail_open:
        assert response.status_code == 200
    else:
        assert response.status_code == 503
        assert response.json["type"] == "ServiceUnavailable"
        assert 1 <= int(response.headers["Retry-After"]) <= 5
    # the outage is logged once, not once per request
    outages = [r for r in caplog.records if "not asked again" in r.getMessage()]
    assert len(outages) == 1


def test_after_the_interval_one_call_tries_again_and_its_success_closes_the_breaker(
        make_app: Callable[..., Flask], register: Register, own_redis: OwnRedis,
        redis_calls: list[str], caplog: pytest.LogCaptureFixture) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url,
                    "USERCORE_REDIS_TIMEOUT_MS": 200, "USERCORE_REDIS_RETRY_SECONDS": 1})
    assert log_in(app).status_code == 200
    own_redis.hang()
    redis_calls.clear()
    began = time.monotonic()
    for number in range(6):
        assert log_in(app, f"192.0.2.{10 + number}").status_code == 503
        time.sleep(0.4)
    intervals = time.monotonic() - began
    # at most one call per interval of 1 s (the probe), each a single try
    assert 2 <= len(redis_calls) <= intervals + 1, redis_calls
    own_redis.resume()
    time.sleep(1.1)
    assert log_in(app, "192.0.2.30").status_code == 200
    assert "answers again" in caplog.text


def test_last_use_times_are_kept_in_the_worker_while_redis_hangs(
        make_app: Callable[..., Flask], register: Register, own_redis: OwnRedis) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url,
                    "USERCORE_REDIS_TIMEOUT_MS": 200, "USERCORE_REDIS_RETRY_SECONDS": 1,
                    "USERCORE_LAST_ACCESS_FLUSH_SECONDS": 3600})
    token = log_in(app).json["token"]
    buffer = app.extensions["usercore"].deps.last_access
    timed_reads(app, token, 1)
    assert buffer._pending == {}  # in Redis
    own_redis.hang()
    timed_reads(app, token, 3)
    assert len(buffer._pending) == 1  # in the worker's memory
    own_redis.resume()
    time.sleep(1.1)
    # the flush's call is the probe: it closes the breaker and writes what the worker kept
    assert buffer.flush() == 1
    assert not buffer.shared.breaker.is_open
    timed_reads(app, token, 1)
    assert buffer._pending == {}  # in Redis again


def test_the_breaker_lets_one_probe_through_per_interval(
        caplog: pytest.LogCaptureFixture) -> None:
    breaker = Breaker(retry_seconds=0.2, name="test storage")
    calls: list[str] = []

    def fail() -> None:
        calls.append("fail")
        raise ConnectionError("refused")

    with caplog.at_level(logging.WARNING, "flask_usercore"):
        with pytest.raises(ConnectionError):
            breaker.call(fail)
        for _ in range(3):
            with pytest.raises(BreakerOpen):
                breaker.call(fail)
        time.sleep(0.25)
        with pytest.raises(BreakerOpen):  # a caller that must not wait never probes
            breaker.call(fail, probe=False)
        with pytest.raises(ConnectionError):  # the probe, failing: open again
            breaker.call(fail)
        with pytest.raises(BreakerOpen):
            breaker.call(lambda: calls.append("ok"))
        time.sleep(0.25)
        breaker.call(lambda: calls.append("ok"))
        breaker.call(lambda: calls.append("ok"))
    assert calls == ["fail", "fail", "ok", "ok"]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "test storage unreachable", "test storage answers again"]
