"""Limits on the messages one recipient or one account receives (mail and SMS), whoever asks
and from however many client addresses: the per-address rate limits alone let 30 addresses
send 30 mails to one inbox.

The counters live in the rate-limit storage (memory or Redis, like the lockout's), under
hashed keys: no addresses or numbers in the storage.
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Sequence

from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from ..errors import RateLimited
from ..security.identity import email_key
from .context import Deps


def throttle(deps: Deps, limits: str, namespace: str,
             keys: Sequence[tuple[str, str]]) -> None:
    """Count one message for each ``(kind, key)``; 429 with ``Retry-After`` when one of them
    has had its share of ``limits`` (``"2/minute;5/hour"``; empty: no limit), and then
    nothing is counted."""
    items = parse_many(limits) if limits else []
    limiter = MovingWindowRateLimiter(deps.lockout.storage)
    for item in items:
        for kind, key in keys:
            if not limiter.test(item, namespace, kind, key):
                reset = limiter.get_window_stats(item, namespace, kind, key).reset_time
                raise RateLimited(max(1, math.ceil(reset - time.time())))
    for item in items:
        for kind, key in keys:
            limiter.hit(item, namespace, kind, key)


def hashed(value: str) -> str:
    """A storage key for an address, a number or an id (SHA-256 hex)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def throttle_mail(deps: Deps, *, recipient: str | None = None,
                  account: uuid.UUID | None = None) -> None:
    """Count one mail to ``recipient`` (an address: its identity key counts, so case and
    dots of one inbox share the count) and for ``account`` (a user id) against
    ``USERCORE_RATELIMIT_MAIL``; 429 when either has had its share. The count does not
    depend on whether an account has the address."""
    keys = []
    if recipient is not None:
        keys.append(("recipient", hashed(email_key(recipient))))
    if account is not None:
        keys.append(("account", hashed(str(account))))
    throttle(deps, deps.config.ratelimit_mail, "usercore/mail", keys)
