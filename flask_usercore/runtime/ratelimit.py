"""Rate limits on the operations that guess secrets (login, registration, verification).

Built on ``limits`` (the engine of Flask-Limiter): in-process memory by default, shared
across workers and hosts with ``USERCORE_RATELIMIT_STORAGE_URI=redis://...``. Limits count
per client address and per group of operations; an exceeded limit is the 429 of the wire
rules with ``Retry-After``. The storage is wrapped in :class:`~.guarded_storage.GuardedStorage`:
while it is unreachable, a JSON 503 or no limit (``USERCORE_RATELIMIT_FAIL_OPEN``), never a 500.
"""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..config import ConfigError
from ..errors import RateLimited
from .guarded_storage import GuardedStorage

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

    def __init__(self, storage_uri: str, limits: str, *, fail_open: bool = False) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits else []
        try:
            storage = (SweepingMemoryStorage(storage_uri, wrap_exceptions=True)
                       if storage_uri.partition(":")[0] == "memory"
                       else storage_from_string(storage_uri, wrap_exceptions=True))
        except ConfigurationError as exc:
            raise ConfigError(f"USERCORE_RATELIMIT_STORAGE_URI: {exc}") from None
        if not isinstance(storage, Storage):  # an async+ scheme
            raise ConfigError("USERCORE_RATELIMIT_STORAGE_URI must name a synchronous storage")
        #: The counters' storage, shared with the per-account :class:`~.lockout.Lockout`.
        self.storage: Storage = GuardedStorage(storage, fail_open=fail_open)
        self._limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, group: str, client: str) -> None:
        """Count one request; raise :class:`RateLimited` when a limit is exceeded."""
        for item in self.items:
            if not self._limiter.hit(item, "usercore", group, client):
                reset = self._limiter.get_window_stats(item, "usercore", group, client).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))
