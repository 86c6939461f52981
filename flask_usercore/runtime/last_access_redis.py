"""Pending last-use times in Redis, shared by every worker and host.

With ``USERCORE_RATELIMIT_STORAGE_URI=redis://...`` the :class:`~.last_access.LastAccess`
buffer keeps its pending times in Redis instead of the worker's memory: one sorted set,
credential id -> time of last use in microseconds since the epoch (exact in a double). A
request adds its use with ``ZADD ... GT`` (one round trip, never moving a time backwards,
whichever worker or host records it); every worker's flusher thread takes the whole set at
its interval with one atomic script (read and delete) and writes it to the database, so each
use is written once, by whichever worker comes first. A session list shows the pending time
of a use recorded by any worker, and a worker that is killed loses nothing it recorded.

When Redis cannot be reached, the buffer falls back to the worker's own memory (logged as a
warning): last-use times are bookkeeping, and no request fails for them. Every call goes
through the storage's circuit breaker (:mod:`.breaker`); a request's calls (:meth:`record`,
:meth:`pending_many`) never make the breaker's probe, so while Redis is away (hung or down)
they cost nothing: only the flusher thread asks again, once per interval, and the times it
gathered in the worker's memory go to Redis (or the database) when Redis answers again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from .breaker import Breaker

#: The sorted set's key (under the ``limits`` storage's database).
KEY = "usercore:last-access"

#: Read and delete the whole set atomically: ``[member, score, member, score, ...]``.
_TAKE = """
local items = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
redis.call('DEL', KEYS[1])
return items
"""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(when: dt.datetime) -> int:
    return (when - _EPOCH) // dt.timedelta(microseconds=1)


def _time(micros: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(micros))


class RedisLastUse:
    """The pending last-use times of every worker, in one Redis sorted set."""

    def __init__(self, client: Any, breaker: Breaker | None = None) -> None:
        #: A ``redis.Redis`` client (the ``limits`` storage's own).
        self.client = client
        #: The rate-limit storage's breaker (one per worker and Redis).
        self.breaker = breaker or Breaker()
        self.key = KEY
        self._take = client.register_script(_TAKE)

    def bind(self, database: str) -> None:
        """Name the set after ``database`` (its URL without password), so that two apps
        sharing one Redis database never take each other's pending uses."""
        digest = hashlib.sha256(database.encode("utf-8")).hexdigest()[:16]
        self.key = f"{KEY}:{digest}"

    def record(self, credential_id: uuid.UUID, when: dt.datetime) -> None:
        """Note a use, unless a later one of that credential is pending."""
        mapping = {str(credential_id): _micros(when)}
        self.breaker.call(lambda: self.client.zadd(self.key, mapping, gt=True), probe=False)

    def pending_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
        """The pending uses of ``ids`` (one round trip: ``ZMSCORE``)."""
        if not ids:
            return {}
        members = [str(credential_id) for credential_id in ids]
        scores = self.breaker.call(lambda: self.client.zmscore(self.key, members), probe=False)
        return {credential_id: _time(score)
                for credential_id, score in zip(ids, scores, strict=True) if score is not None}

    def take(self) -> list[tuple[uuid.UUID, dt.datetime]]:
        """Every pending use, removed from Redis in the same atomic step."""
        flat = self.breaker.call(lambda: self._take(keys=[self.key]))
        return [(uuid.UUID(_text(flat[index])), _time(float(flat[index + 1])))
                for index in range(0, len(flat), 2)]

    def give_back(self, items: Iterable[tuple[uuid.UUID, dt.datetime]]) -> None:
        """Put uses back that could not be written (a later pending use wins)."""
        mapping = {str(credential_id): _micros(when) for credential_id, when in items}
        if mapping:
            self.breaker.call(lambda: self.client.zadd(self.key, mapping, gt=True))


def _text(value: bytes | str) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else value


def from_storage(storage: Any) -> RedisLastUse | None:
    """A :class:`RedisLastUse` on the Redis client of a ``limits`` storage, if it has one.

    ``storage`` is the rate limiter's (a :class:`~.guarded_storage.GuardedStorage` around
    ``limits``' own); ``memory://`` and other storages give None.
    """
    from limits.storage import RedisStorage

    inner = getattr(storage, "inner", storage)
    if not isinstance(inner, RedisStorage):
        return None
    return RedisLastUse(inner.storage, getattr(storage, "breaker", None))
