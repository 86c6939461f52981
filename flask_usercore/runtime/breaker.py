"""A circuit breaker for Redis: after a failure, stop asking for a while.

Every Redis call of the library (the rate limits and the lockout through
:class:`~.guarded_storage.GuardedStorage`, the pending last-use times of
:class:`~.last_access_redis.RedisLastUse`) goes through the one :class:`Breaker` of that
storage. Each call already has a short socket timeout (``USERCORE_REDIS_TIMEOUT``) and no
retries; the breaker adds that after one failure (a refused connection, a timeout of a hung
server) the worker does not ask again for ``USERCORE_REDIS_RETRY_SECONDS``: every call in that
time fails at once with :class:`BreakerOpen`, so a hung Redis costs a worker one timeout per
interval instead of one per request. After the interval one call tries again (a probe); its
success closes the breaker, its failure opens it for another interval.

A caller that must never wait (the last-use time of a read) asks with ``probe=False``: while the
breaker is open it never makes the probe itself, it leaves that to callers that may wait (a
login's rate limit, the background flusher).

One breaker per worker process: each worker finds out by itself (one timeout), and the outage
and the recovery are logged once per worker, not once per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from limits.errors import StorageError

logger = logging.getLogger("flask_usercore")

T = TypeVar("T")


class BreakerOpen(StorageError):
    """Raised instead of calling Redis while the breaker is open."""

    def __init__(self, name: str) -> None:
        Exception.__init__(self, f"{name} not asked: it failed less than a retry interval ago")
        self.storage_error: Exception = self


class Breaker:
    """Closed (calls go through), or open until ``retry_at`` after a failure."""

    def __init__(self, retry_seconds: float = 5.0, name: str = "Redis") -> None:
        #: Seconds without calls after a failure.
        self.retry_seconds = retry_seconds
        self.name = name
        self._open = False
        self._retry_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """Whether a failure was seen and no call has succeeded since."""
        return self._open

    def _enter(self, probe: bool) -> bool:
        """Whether a call may go out now; True for the one probe after the interval."""
        if not self._open:
            return False
        with self._lock:
            if not self._open:
                return False
            if probe and not self._probing and time.monotonic() >= self._retry_at:
                self._probing = True
                return True
        raise BreakerOpen(self.name)

    def call(self, function: Callable[[], T], *, probe: bool = True,
             failures: type[BaseException] | tuple[type[BaseException], ...] = Exception) -> T:
        """``function()`` unless the breaker is open; a failure (one of ``failures``) opens it.

        Raises :class:`BreakerOpen` without calling while open (and, with ``probe=False``, also
        when a probe would be due).
        """
        probing = self._enter(probe)
        try:
            result = function()
        except failures as exc:
            self.failed(exc)
            raise
        finally:
            if probing:
                self._probing = False
        self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        """Open the breaker for ``retry_seconds`` (logged once per outage)."""
        with self._lock:
            was_open, self._open = self._open, True
            self._retry_at = time.monotonic() + self.retry_seconds
        if not was_open:
            cause = getattr(exc, "storage_error", None) or exc
            logger.error("%s unreachable (%s: %s): not asked again for %g s", self.name,
                         type(cause).__name__, cause, self.retry_seconds)

    def succeeded(self) -> None:
        """Close the breaker (logged when it was open)."""
        if self._open:
            with self._lock:
                was_open, self._open = self._open, False
            if was_open:
                logger.warning("%s answers again", self.name)
