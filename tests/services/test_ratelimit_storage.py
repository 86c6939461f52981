"""ratelimit.SweepingMemoryStorage: the in-process storage without a thread per hit."""

from __future__ import annotations

import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from flask_usercore.runtime.ratelimit import RateLimiter, SweepingMemoryStorage


def test_memory_uri_gets_the_sweeping_storage() -> None:
    limiter = RateLimiter("memory://", "2/second")
    assert isinstance(limiter.storage.inner, SweepingMemoryStorage)


def test_hits_further_apart_than_10_ms_share_one_sweep_timer() -> None:
    # limits' own MemoryStorage starts a new 10 ms timer thread on each such hit.
    storage = SweepingMemoryStorage("memory://")
    limiter = MovingWindowRateLimiter(storage)
    item = parse("100/minute")
    time.sleep(0.02)  # the 10 ms timer that MemoryStorage.__init__ starts has run out
    limiter.hit(item, "a")
    timer = storage.timer
    for _ in range(3):
        time.sleep(0.02)
        assert limiter.hit(item, "a")
    assert storage.timer is timer
    assert timer.daemon


def test_limits_and_expiry_still_hold() -> None:
    storage = SweepingMemoryStorage("memory://")
    limiter = MovingWindowRateLimiter(storage)
    item = parse("2/second")
    assert limiter.hit(item, "b") and limiter.hit(item, "b")
    assert not limiter.hit(item, "b")
    assert storage.incr("counter", 1) == 1
    time.sleep(1.05)
    assert limiter.hit(item, "b")  # the window moved on, swept or not
    assert storage.get("counter") == 0
