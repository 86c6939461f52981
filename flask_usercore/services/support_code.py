"""Support codes: six digits a user reads to a support desk on the telephone.

A code is never stored in clear: its row keeps the keyed hash (for the desk's lookup) and a
random nonce; the code itself is an HMAC of the nonce under the server secret, so the same
live code can be shown again (``GET .../support-code`` without ``forceRecreate``) while a
stolen database alone reveals nothing. Live codes are kept distinct across users, so that
a code names one account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.sql.expression import ColumnElement

from ..models import CodePurpose, OneTimeCode, User
from ..security.codes import code_matches, hash_code, hash_code_all
from .context import Deps, expiry

PURPOSE = CodePurpose.SUPPORT
DIGITS = 6
#: New nonces tried when a fresh code equals another user's live one.
_TRIES = 8


@dataclass(frozen=True, slots=True)
class SupportCode:
    """A support code and when it stops working."""

    support_code: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SupportCodeOwner:
    """Whose live support code a code is."""

    user_id: uuid.UUID
    email: str
    expires_at: dt.datetime


def _derive(key: str, nonce: str) -> str:
    digest = hmac.new(key.encode(), f"support-code\x00{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** DIGITS:0{DIGITS}d}"


def _code_of(deps: Deps, row: OneTimeCode) -> str | None:
    """The code of ``row``, derived under whichever configured key made it."""
    if row.target is None:
        return None
    for key in deps.config.secret_keys:
        code = _derive(key, row.target)
        if code_matches(row.code_hash, (key,), PURPOSE, code):
            return code
    return None


def _live(now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    return (OneTimeCode.purpose == PURPOSE, OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now)


def support_code(deps: Deps, user: User, *, force_recreate: bool = False) -> SupportCode:
    """The user's live support code, or a new one when there is none or ``force_recreate``
    (the old one then stops working). Lives ``USERCORE_SUPPORT_CODE_TTL`` seconds."""
    now = deps.clock()
    if not force_recreate:
        row = deps.session.scalars(
            select(OneTimeCode).where(OneTimeCode.user_id == user.id, *_live(now))
            .order_by(OneTimeCode.created_at.desc()).limit(1)).first()
        shown = _code_of(deps, row) if row is not None else None
        if row is not None and shown is not None:
            return SupportCode(shown, row.expires_at)
    key = deps.config.secret_key
    for _ in range(_TRIES):
        nonce = secrets.token_hex(16)
        code = _derive(key, nonce)
        clash = deps.session.scalar(
            select(OneTimeCode.id).where(
                *_live(now), OneTimeCode.user_id != user.id,
                OneTimeCode.code_hash.in_(hash_code_all(deps.config.secret_keys, PURPOSE, code)))
            .limit(1))
        if clash is None:
            break
    deps.session.execute(  # the earlier code stops working
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == PURPOSE,
               OneTimeCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    expires_at = expiry(now, deps.config.support_code_ttl)
    deps.session.add(OneTimeCode(user_id=user.id, purpose=PURPOSE, target=nonce,
                                 code_hash=hash_code(key, PURPOSE, code), expires_at=expires_at,
                                 created_at=now))
    return SupportCode(code, expires_at)


def find_support_code(deps: Deps, code: str) -> list[SupportCodeOwner]:
    """The accounts whose live support code ``code`` is (one, or none; more only if two
    codes were issued at the same moment and clashed), through the index on the hash."""
    code = code.strip()
    if len(code) != DIGITS or not code.isdigit():
        return []
    now = deps.clock()
    rows = deps.session.execute(
        select(User.id, User.email, OneTimeCode.expires_at)
        .join(User, User.id == OneTimeCode.user_id)
        .where(*_live(now),
               OneTimeCode.code_hash.in_(hash_code_all(deps.config.secret_keys, PURPOSE, code)))
        .order_by(OneTimeCode.created_at)).all()
    return [SupportCodeOwner(user_id, email, expires_at) for user_id, email, expires_at in rows]

