"""Deleting what has expired: credentials and one-time codes, in batches.

``flask usercore purge-expired`` calls :func:`purge_batch` until nothing is left. Each batch
is one ``DELETE`` of at most ``batch`` rows per table, committed on its own, so no long lock
is held; on PostgreSQL a batch skips rows another purge has locked (``FOR UPDATE SKIP
LOCKED``), so several hosts may run it at the same time from cron.

Expired means: a session whose refresh token has expired (its access token alone expiring
does not end it); any other credential (API token, retrieval key, spent refresh token, OAuth2
token) past ``expires_at``; a one-time code past its expiry or used; an OAuth2
authorization code past its expiry (a used one is kept until then, so that a replay is
recognised and revokes what the first use issued).

``flask usercore purge`` does all that, drops the outbox's expired messages
(``services/outbox.py``), and deletes the avatar storage's orphans (:func:`purge_files`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, or_, select

from ..models import Credential, OAuth2AuthorizationCode, OneTimeCode, PasskeyChallenge, StoredFile
from .context import Deps

#: Rows per ``DELETE``.
DEFAULT_BATCH = 1000


def _expired_credentials(now: dt.datetime) -> Any:
    return or_(Credential.refresh_expires_at <= now,
               and_(Credential.refresh_expires_at.is_(None), Credential.expires_at <= now))


def _expired_codes(now: dt.datetime) -> Any:
    return or_(OneTimeCode.expires_at <= now, OneTimeCode.used_at.is_not(None))


def _delete_batch(deps: Deps, model: Any, condition: Any, batch: int) -> int:
    chosen = (select(model.id).where(condition).limit(batch)
              .with_for_update(skip_locked=True).scalar_subquery())
    result = deps.session.execute(delete(model).where(model.id.in_(chosen))
                                  .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))


def purge_batch(deps: Deps, *, batch: int = DEFAULT_BATCH) -> dict[str, int]:
    """Delete up to ``batch`` expired rows of each kind; returns how many of each
    (``{"credentials": n, "codes": m, "oauth2_codes": k, "passkey_challenges": j}``).

    The caller commits, and calls again while a count reached ``batch``
    (:func:`flask_usercore.cli.purge_expired_command` does).
    """
    now = deps.clock()
    return {"credentials": _delete_batch(deps, Credential, _expired_credentials(now), batch),
            "codes": _delete_batch(deps, OneTimeCode, _expired_codes(now), batch),
            "oauth2_codes": _delete_batch(deps, OAuth2AuthorizationCode,
                                          OAuth2AuthorizationCode.expires_at <= now, batch),
            "passkey_challenges": _delete_batch(deps, PasskeyChallenge,
                                                PasskeyChallenge.expires_at <= now, batch)}


def purge_files(deps: Deps, *, older_than: int = 3600) -> int | None:
    """Delete what the avatar storage holds but no row of ``usercore_files`` names, last
    written more than ``older_than`` seconds ago: a file stored by an upload whose process
    died before its commit, and the ``.part`` file of a write a crash interrupted (a
    younger one may be an upload in flight). How many; None when the storage cannot list
    its files (it lacks ``stored_keys()`` and ``modified(key)``, which
    ``LocalAvatarStorage`` has).
    """
    storage: Any = deps.avatars
    if not (callable(getattr(storage, "stored_keys", None))
            and callable(getattr(storage, "modified", None))):
        return None
    cutoff = deps.clock().timestamp() - older_than
    old = [key for key in storage.stored_keys()
           if (modified := storage.modified(key)) is not None and modified < cutoff]
    removed = 0
    for start in range(0, len(old), DEFAULT_BATCH):
        chunk = old[start:start + DEFAULT_BATCH]
        known = set(deps.session.scalars(select(StoredFile.storage_key)
                                         .where(StoredFile.storage_key.in_(chunk))))
        for key in chunk:
            if key not in known:
                storage.delete(key)
                removed += 1
    return removed
