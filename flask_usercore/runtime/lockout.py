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

An attempt takes its slot *before* the secret is compared (:meth:`Lockout.attempt`), with
atomic increments of the storage (``INCRBY`` in Redis): it counts as a failure until a right
secret gives it back (:meth:`Lockout.passed`). The attempt that could lock the account (the
threshold's, or the first after a lock ended) also sets the lock before its comparison, and
only the one whose increment created the lock goes on: parallel attempts never compare more
secrets than the threshold (then one per lock period), whatever their number.

The counters live in the ``limits`` storage of the rate limits (memory or Redis): they are
shared across workers and hosts with Redis, and outside the database transaction, so a
failure stays counted although its request fails and rolls back.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import NoReturn

from limits.storage import Storage

from ..config import UserCoreConfig
from ..errors import RateLimited

_PREFIX = "usercore/lockout"


@dataclass(frozen=True, slots=True)
class Attempt:
    """A slot taken by :meth:`Lockout.attempt`: one comparison of a secret."""

    account: str
    #: The slot was counted (False with the lockout off, or the storage failing open).
    counted: bool
    #: This attempt set the account's lock before comparing (the one that could lock it).
    locking: bool


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

    def attempt(self, account: str) -> Attempt:
        """Take a slot for one comparison of a secret of ``account`` (an e-mail key), before
        comparing it; 429 (``Retry-After``) while the account is locked or when no slot is
        left, and the refused attempt is not counted.

        The slot counts as a failure from now on: give it back with :meth:`passed` when the
        secret was right (or the comparison could not be made); a wrong one keeps it.
        """
        if not self.enabled:
            return Attempt(account, counted=False, locking=False)
        lock = _key("lock", account)
        if self.storage.get(lock) > 0:
            self._refuse(lock)
        failures = _key("failures", account)
        taken = self.storage.incr(failures, self.window)
        seconds = self.lock_seconds(taken)
        if not seconds:
            return Attempt(account, counted=taken > 0, locking=False)
        # This failure would lock: lock now. Only the attempt whose increment created the
        # lock compares; a concurrent one finds it taken and gives its slot back. A new key
        # gets this expiry; one that exists keeps its own (0: a storage failing open).
        if self.storage.incr(lock, seconds) <= 1:
            return Attempt(account, counted=True, locking=True)
        self.storage.incr(failures, self.window, -1)
        self._refuse(lock)

    def passed(self, attempt: Attempt) -> None:
        """Give back the slot of an attempt whose secret was right (it is no failure), and
        the lock it set. The failures before it stay until :meth:`succeeded`."""
        if attempt.counted:
            self.storage.incr(_key("failures", attempt.account), self.window, -1)
        if attempt.locking:
            self.storage.clear(_key("lock", attempt.account))

    def _refuse(self, lock: str) -> NoReturn:
        remaining = self.storage.get_expiry(lock) - time.time()
        raise RateLimited(max(1, math.ceil(remaining)))

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
