"""Per-account lockout after repeated wrong passwords or second-factor codes.

The per-address rate limits (:mod:`flask_usercore.runtime.ratelimit`) do not stop a guesser who
spreads the guesses over many addresses. This counts the failures per *account*, keyed by
the e-mail key (:func:`~flask_usercore.security.identity.email_key`), whether or not an
account has that address, so that an unknown address is answered exactly like a known one.

After ``USERCORE_LOCKOUT_THRESHOLD`` failures the account is locked for
``USERCORE_LOCKOUT_SECONDS``; every further failure (made after a lock ended) locks it for
twice as long as the one before, up to ``USERCORE_LOCKOUT_MAX_SECONDS``. Failures are
remembered for ``USERCORE_LOCKOUT_WINDOW`` seconds from the first of them, or until a
completed success (password and, with MFA, second factor) forgets them. While locked, every
attempt is refused with the 429 of the wire rules, before the password or code is compared
(so also the right one), and is not counted itself.

The counters live in the ``limits`` storage of the rate limits (memory or Redis): they are
shared across workers and hosts with Redis, and outside the database transaction, so a
failure stays counted although its request fails and rolls back.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits.storage import Storage

from ..config import UserCoreConfig
from ..errors import RateLimited

_PREFIX = "usercore/lockout"


class Lockout:
    """Counts failures per account in a ``limits`` storage and refuses locked accounts."""

    def __init__(self, storage: Storage, config: UserCoreConfig) -> None:
        self.storage = storage
        self.threshold = config.lockout_threshold
        self.first_lock = config.lockout_seconds
        self.longest_lock = config.lockout_max_seconds
        self.window = config.lockout_window

    @property
    def enabled(self) -> bool:
        """False when ``USERCORE_LOCKOUT_THRESHOLD`` is 0."""
        return self.threshold > 0

    def lock_seconds(self, failures: int) -> int:
        """How long the ``failures``-th failure locks the account (0: not at all)."""
        if not self.enabled or failures < self.threshold:
            return 0
        doublings = min(failures - self.threshold, 32)  # 2**32 exceeds any sane maximum
        return min(self.first_lock << doublings, self.longest_lock)

    def check(self, account: str) -> None:
        """Raise :class:`RateLimited` (429, ``Retry-After``) while ``account`` is locked.

        ``account`` is an e-mail key. Call it before comparing the secret.
        """
        if not self.enabled:
            return
        lock = _key("lock", account)
        if self.storage.get(lock) > 0:
            remaining = self.storage.get_expiry(lock) - time.time()
            raise RateLimited(max(1, math.ceil(remaining)))

    def failed(self, account: str) -> None:
        """Count one wrong password or code for ``account``; lock it when due."""
        if not self.enabled:
            return
        failures = self.storage.incr(_key("failures", account), self.window)
        seconds = self.lock_seconds(failures)
        if seconds:
            # A new key gets this expiry; a lock that a concurrent failure already set keeps its
            # own (the next failure after it ends locks longer).
            self.storage.incr(_key("lock", account), seconds)

    def succeeded(self, account: str) -> None:
        """Forget the failures of ``account`` (after a completed login or confirmation)."""
        failures = _key("failures", account)
        if self.enabled and self.storage.get(failures):  # one read when there is nothing
            self.storage.clear(failures)
            self.storage.clear(_key("lock", account))

    def failures(self, account: str) -> int:
        """The failures of ``account`` currently remembered."""
        return self.storage.get(_key("failures", account))


def _key(kind: str, account: str) -> str:
    # Hashed: no addresses in the shared storage, and no odd characters in its keys.
    digest = hashlib.sha256(account.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_PREFIX}/{kind}/{digest}"
