"""One-time codes: issue, then consume once (a conditional UPDATE), with a guess limit."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from ..models import OneTimeCode
from ..security.codes import CODE_DIGITS, code_matches, hash_code, new_code
from .context import Deps, expiry


def issue_code(deps: Deps, user_id: uuid.UUID, purpose: str, *,
               target: str | None = None, digits: int = CODE_DIGITS,
               code: str | None = None, ttl: int | None = None) -> str:
    """Store a new code of ``digits`` digits (or the given ``code``) for ``user_id`` and
    ``purpose``, live for ``ttl`` seconds (default ``code_ttl``), and return it in clear
    (to send).

    Earlier unused codes of the same purpose stop working.
    """
    now = deps.clock()
    deps.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .values(used_at=now))
    code = code or new_code(digits)
    deps.session.add(OneTimeCode(
        user_id=user_id, purpose=purpose, target=target,
        code_hash=hash_code(deps.config.secret_key, purpose, code),
        expires_at=expiry(now, ttl or deps.config.code_ttl)))
    return code


def _reserve_attempt(deps: Deps, code_id: uuid.UUID) -> bool:
    """Count one guess at the code, durably and atomically; False when none is left.

    One conditional UPDATE (``attempts < max``), committed at once on its own
    (:meth:`~flask_usercore.runtime.unit_of_work.UnitOfWork.durable`): however many
    guesses run in parallel, the counter reaches the limit and stops there.
    """
    counted = deps.uow.durable(update(OneTimeCode)
                               .where(OneTimeCode.id == code_id,
                                      OneTimeCode.attempts < deps.config.code_max_attempts)
                               .values(attempts=OneTimeCode.attempts + 1))
    return counted == 1


def consume_code(deps: Deps, user_id: uuid.UUID, purpose: str, code: str) -> OneTimeCode | None:
    """Use the live code of ``user_id`` for ``purpose`` if ``code`` matches it.

    Returns the used row, or None when there is no live code, no guess is left, or ``code``
    is wrong. Every guess is counted before it is compared (:func:`_reserve_attempt`), so the
    limit holds even though the caller then fails its request; marking the code used belongs
    to the caller's transaction.
    """
    now = deps.clock()
    row = deps.session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > now,
               OneTimeCode.attempts < deps.config.code_max_attempts)
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)).first()
    if row is None or not _reserve_attempt(deps, row.id):
        return None
    if not code_matches(row.code_hash, deps.config.secret_keys, purpose, code):
        return None
    used = deps.session.execute(
        update(OneTimeCode).where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
        .values(used_at=now))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return row
