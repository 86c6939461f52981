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
#: The settings of these tests: a hung call costs 200 ms, then Redis is left alone for 1 s.
FAST = {"USERCORE_REDIS_TIMEOUT_MS": 200, "USERCORE_REDIS_RETRY_SECONDS": 1}


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
        fail_open: bool, caplog: pytest.LogCaptureFixture) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url,
                    "USERCORE_RATELIMIT_FAIL_OPEN": fail_open, **FAST})
    token = log_in(app).json["token"]
    normal = timed_reads(app, token, 20)
    own_redis.hang()
    # the first read finds out (one timeout of 200 ms, no retries), the others do not ask
    hung = timed_reads(app, token, 40)
    assert hung[0] < 1.0
    assert max(hung[1:]) < max(0.1, 5 * max(normal)), (normal, hung)
    began = time.perf_counter()
    response = log_in(app, "192.0.2.2")
    assert time.perf_counter() - began < 0.15  # no Redis call while the breaker is open
    if fail_open:
        assert response.status_code == 200
    else:
        assert response.status_code == 503
        assert response.json["type"] == "ServiceUnavailable"
        assert 1 <= int(response.headers["Retry-After"]) <= 5
    # the outage is logged once, not once per request
    outages = [r for r in caplog.records if "not asked again" in r.getMessage()]
    assert len(outages) == 1
    own_redis.resume()
    time.sleep(1.1)  # the retry interval: the next login's call is the probe
    assert log_in(app, "192.0.2.3").status_code == 200
    assert "answers again" in caplog.text


def test_a_hung_redis_never_holds_a_login_longer_than_its_timeout(
        make_app: Callable[..., Flask], register: Register, own_redis: OwnRedis) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url, **FAST})
    assert log_in(app).status_code == 200
    own_redis.hang()
    took = []
    for number in range(6):  # spread over 3 retry intervals: a probe in each
        began = time.perf_counter()
        assert log_in(app, f"192.0.2.{10 + number}").status_code == 503
        took.append(time.perf_counter() - began)
        time.sleep(0.5)
    # redis-py alone (3 retries with backoff) held each for seconds; now: at most the 200 ms
    # timeout of a probe, else nothing
    assert max(took) < 0.6, took
    assert sum(t > 0.15 for t in took) <= 4, took


def test_last_use_times_are_kept_in_the_worker_while_redis_hangs(
        make_app: Callable[..., Flask], register: Register, own_redis: OwnRedis) -> None:
    register()
    app = make_app({"USERCORE_RATELIMIT_STORAGE_URI": own_redis.url, **FAST})
    token = log_in(app).json["token"]
    buffer = app.extensions["usercore"].deps.last_access
    timed_reads(app, token, 1)
    assert buffer._pending == {}  # in Redis
    own_redis.hang()
    timed_reads(app, token, 3)
    assert len(buffer._pending) == 1  # in the worker's memory
    own_redis.resume()
    time.sleep(1.1)
    # the flusher's probe closes the breaker and writes what the worker kept
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
