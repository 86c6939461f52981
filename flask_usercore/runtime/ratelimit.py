"""Rate limits on the operations that guess secrets (login, registration, verification).

Built on ``limits`` (the engine of Flask-Limiter): in-process memory by default, shared
across workers and hosts with ``USERCORE_RATELIMIT_STORAGE_URI=redis://...``. Limits count
per client address and per group of operations; an exceeded limit is the 429 of the wire
rules with ``Retry-After``. The storage is wrapped in :class:`~.guarded_storage.GuardedStorage`:
while it is unreachable, a JSON 503 or no limit (``USERCORE_RATELIMIT_FAIL_OPEN``), never a 500.
A Redis client gets short socket timeouts and no retries (:func:`redis_options`), and a
circuit breaker (:mod:`.breaker`) stops asking it for a while after a failure.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..config import ConfigError
from ..errors import RateLimited
from .breaker import Breaker
from .guarded_storage import GuardedStorage

#: The schemes whose storage is one ``redis.Redis`` client (:func:`redis_options` apply).
REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix", "valkey", "valkeys", "valkey+unix"})

#: Seconds between two sweeps of expired entries in the in-process storage.
SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' in-process storage (``memory://``), sweeping expired entries at most once
    a second instead of every 10 ms.

    ``MemoryStorage`` starts a new 10 ms ``threading.Timer`` on each counting call whose
    previous timer has run out, so with requests more than 10 ms apart nearly every login
    started a thread (about 0.2 ms of CPU, benchmarks/README.md). Every read ignores expired
    entries by their time anyway; the sweep only frees their memory. Not registered for a
    scheme (limits registers only a class's own ``STORAGE_SCHEME``): :class:`RateLimiter`
    picks it for ``memory://``.
    """

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private scheduler
        if not self.timer.is_alive():
            sweep = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(SWEEP_SECONDS, sweep)
            self.timer.daemon = True  # never delays the exit of a process
            self.timer.start()


class RateLimiter:
    """Checks ``limits`` (e.g. ``"20/minute;200/hour"``) per group and client address."""

    def __init__(self, storage_uri: str, limits: str, *, fail_open: bool = False,
                 timeout_ms: int = 500, retry_seconds: int = 5,
                 shared: GuardedStorage | None = None) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits else []
        #: The counters' storage, shared with the per-account :class:`~.lockout.Lockout`.
        self.storage: GuardedStorage
        if shared is not None:  # another limiter's storage (its client and breaker)
            self.storage = shared
            self._limiter = MovingWindowRateLimiter(shared)
            return
        scheme = storage_uri.partition(":")[0]
        options = redis_options(timeout_ms) if scheme in REDIS_SCHEMES else {}
        try:
            storage = (SweepingMemoryStorage(storage_uri, wrap_exceptions=True)
                       if scheme == "memory"
                       else storage_from_string(storage_uri, wrap_exceptions=True, **options))
        except ConfigurationError as exc:
            raise ConfigError(f"USERCORE_RATELIMIT_STORAGE_URI: {exc}") from None
        if not isinstance(storage, Storage):  # an async+ scheme
            raise ConfigError("USERCORE_RATELIMIT_STORAGE_URI must name a synchronous storage")
        self.storage = GuardedStorage(
            storage, fail_open=fail_open, breaker=Breaker(retry_seconds, name=f"{scheme} storage"))
        self._limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, group: str, client: str) -> None:
        """Count one request; raise :class:`RateLimited` when a limit is exceeded."""
        for item in self.items:
            if not self._limiter.hit(item, "usercore", group, client):
                reset = self._limiter.get_window_stats(item, "usercore", group, client).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))


def redis_options(timeout_ms: int) -> dict[str, Any]:
    """``redis.Redis`` arguments: connect and read timeouts of ``timeout_ms``, no retries.

    redis-py retries a failed call 3 times with a backoff of up to 10 s by default, so a hung
    server held every request for seconds; the breaker retries instead, once per interval.
    Options in the storage URI's query (``?socket_timeout=2``) take precedence.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    seconds = timeout_ms / 1000
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds,
            "retry": Retry(NoBackoff(), 0)}
