"""Rate limits on the operations that guess secrets (login, registration, verification).

Built on ``limits`` (the engine of Flask-Limiter): in-process memory by default, shared
across workers and hosts with ``USERCORE_RATELIMIT_STORAGE_URI=redis://...``. Limits count
per client address and per group of operations; an exceeded limit is the 429 of the wire
rules with ``Retry-After``. The storage is wrapped in :class:`~.guarded_storage.GuardedStorage`:
while it is unreachable, a JSON 503 or no limit (``USERCORE_RATELIMIT_FAIL_OPEN``), never a 500.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .config import ConfigError
from .errors import RateLimited
from .guarded_storage import GuardedStorage


class RateLimiter:
    """Checks ``limits`` (e.g. ``"20/minute;200/hour"``) per group and client address."""

    def __init__(self, storage_uri: str, limits: str, *, fail_open: bool = False) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits else []
        try:
            storage = storage_from_string(storage_uri, wrap_exceptions=True)
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
