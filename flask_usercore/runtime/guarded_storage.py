"""The rate-limit storage (memory or Redis) with a rule for when it cannot be reached.

Every counter kept between requests (the per-address rate limits, the per-account lockout,
the SMS limits) goes through one :class:`GuardedStorage`, which wraps the ``limits`` storage
named by ``USERCORE_RATELIMIT_STORAGE_URI``. When that storage fails (Redis down, a timeout,
a refused connection) the request is never answered with a 500:

- ``USERCORE_RATELIMIT_FAIL_OPEN = False`` (the default): the operation is refused with a
  JSON 503 ``ServiceUnavailable`` (with ``Retry-After``), before it compares any secret, so
  an outage of the storage is no window for unlimited guessing;
- ``USERCORE_RATELIMIT_FAIL_OPEN = True``: the operation goes on without that counter (as if
  nothing had been counted yet), and a warning is logged once per failure.

Every call goes through the storage's :class:`~.breaker.Breaker`: after a failure (a refused
connection, the short socket timeout of a hung server) the rule above is followed at once,
without asking Redis, for ``USERCORE_REDIS_RETRY_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from limits.errors import StorageError
from limits.storage import MovingWindowSupport, Storage

from ..errors import ServiceUnavailable
from .breaker import Breaker, BreakerOpen

logger = logging.getLogger("flask_usercore")

#: Seconds a client is asked to wait (``Retry-After``) while the storage is unreachable.
RETRY_AFTER = 5

T = TypeVar("T")


class GuardedStorage(Storage, MovingWindowSupport):
    """A ``limits`` storage that turns the failures of ``inner`` into the configured rule."""

    STORAGE_SCHEME = None

    def __init__(self, inner: Storage, *, fail_open: bool,
                 breaker: Breaker | None = None) -> None:
        super().__init__()
        if not isinstance(inner, MovingWindowSupport):
            raise TypeError(f"{type(inner).__name__} does not support moving windows")
        #: The storage that holds the counters (built with ``wrap_exceptions=True``).
        self.inner = inner
        self._moving: MovingWindowSupport = inner
        self.fail_open = fail_open
        #: Shared by every user of this storage's Redis (the last-use buffer too).
        self.breaker = breaker or Breaker()

    def _call(self, function: Callable[[], T]) -> T:
        return self.breaker.call(function, failures=StorageError)

    def _failed(self, exc: StorageError, action: str) -> None:
        """Raise :class:`ServiceUnavailable`, or log and return when failing open (logged
        for the failure that opened the breaker, not for each call refused while open)."""
        cause = exc.storage_error if hasattr(exc, "storage_error") else exc
        if isinstance(exc, BreakerOpen):
            if not self.fail_open:
                retry = max(1, min(RETRY_AFTER, int(self.breaker.retry_seconds)))
                raise ServiceUnavailable(retry) from exc
            return
        if not self.fail_open:
            logger.error("rate-limit storage unreachable (%s: %s): answering 503", action,
                         type(cause).__name__)
            raise ServiceUnavailable(RETRY_AFTER) from exc
        logger.warning("rate-limit storage unreachable (%s: %s): going on without it", action,
                       type(cause).__name__)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """Nothing to wrap here: the inner storage wraps its own errors."""
        return StorageError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Increment ``key``; 0 when failing open (nothing counted)."""
        try:
            return self._call(lambda: self.inner.incr(key, expiry, amount))
        except StorageError as exc:
            self._failed(exc, "incr")
            return 0

    def get(self, key: str) -> int:
        """The counter ``key``; 0 when failing open."""
        try:
            return self._call(lambda: self.inner.get(key))
        except StorageError as exc:
            self._failed(exc, "get")
            return 0

    def get_expiry(self, key: str) -> float:
        """When ``key`` expires; now when failing open."""
        try:
            return self._call(lambda: self.inner.get_expiry(key))
        except StorageError as exc:
            self._failed(exc, "get_expiry")
            return time.time()

    def check(self) -> bool:
        """Whether the storage answers (never raises)."""
        try:
            return self._call(lambda: self.inner.check())
        except StorageError:
            return False

    def reset(self) -> int | None:
        """Empty the storage."""
        try:
            return self._call(lambda: self.inner.reset())
        except StorageError as exc:
            self._failed(exc, "reset")
            return None

    def clear(self, key: str) -> None:
        """Forget ``key``."""
        try:
            self._call(lambda: self.inner.clear(key))
        except StorageError as exc:
            self._failed(exc, "clear")

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take ``amount`` entries of a moving window; allowed when failing open."""
        try:
            return self._call(lambda: self._moving.acquire_entry(key, limit, expiry, amount))
        except StorageError as exc:
            self._failed(exc, "acquire_entry")
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The moving window of ``key``; empty when failing open."""
        try:
            return self._call(lambda: self._moving.get_moving_window(key, limit, expiry))
        except StorageError as exc:
            self._failed(exc, "get_moving_window")
            return time.time(), 0
