"""The ledger of ``mixed_load.py``: what the clients had acknowledged, and its audit.

Each client process keeps a :class:`Ledger` of its users' acknowledged writes, refreshes and
logouts; :func:`merge` joins them, :func:`spot_check` asks the running server about a sample
of tokens, :func:`audit` compares the whole ledger with the database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import bench


@dataclass
class Written:
    """One user's writes of one kind: the last acknowledged value and the unanswered ones
    sent after it (a request whose answer was lost may or may not have been applied)."""

    acknowledged: str | None = None
    count: int = 0
    unanswered: list[str] = field(default_factory=list)

    def allows(self, stored: str | None) -> bool:
        """Whether ``stored`` is a value the database may hold after these writes."""
        return self.acknowledged is None or stored == self.acknowledged \
            or stored in self.unanswered


@dataclass
class Ledger:
    """What one client process sent, saw and had acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    names: dict[str, Written] = field(default_factory=dict)
    settings: dict[str, Written] = field(default_factory=dict)
    #: Access tokens whose logout was acknowledged.
    logged_out: list[str] = field(default_factory=list)
    #: (old access token, old refresh token) of every acknowledged refresh.
    refreshed: list[tuple[str, str]] = field(default_factory=list)
    #: Refreshes whose new token was refused on its first use.
    new_token_refused: int = 0
    #: Access tokens of sessions still open when the time was up.
    live: set[str] = field(default_factory=set)
    #: Reads that did not show the last acknowledged name.
    stale_reads: list[str] = field(default_factory=list)
    sessions: int = 0
    seconds: float = 0.0
    #: (monotonic start, operation, seconds, status) of every request, for ``faults.py``.
    timeline: list[tuple[float, str, float, int]] = field(default_factory=list)

def merge(ledgers: Iterable[Ledger]) -> Ledger:
    """One ledger of all clients (their users are disjoint)."""
    total = Ledger()
    for part in ledgers:
        for op, values in part.latencies.items():
            total.latencies.setdefault(op, []).extend(values)
        for op, counts in part.statuses.items():
            total.statuses.setdefault(op, Counter()).update(counts)
        total.names.update(part.names)
        total.settings.update(part.settings)
        total.logged_out += part.logged_out
        total.refreshed += part.refreshed
        total.new_token_refused += part.new_token_refused
        total.live |= part.live
        total.stale_reads += part.stale_reads
        total.sessions += part.sessions
        total.seconds = max(total.seconds, part.seconds)
        total.timeline += part.timeline
    return total

# -- the audit ----------------------------------------------------------------------------


def spot_check(port: int, ledger: Ledger, sample: int) -> list[str]:
    """Over HTTP, while the server runs: a sample of refreshed-away and logged-out access
    tokens must be refused (401), a sample of the sessions still open accepted (200)."""
    rng = random.Random(0)
    dead = [old for old, _ in ledger.refreshed] + ledger.logged_out
    problems = []
    for tokens, expected in ((dead, 401), (sorted(ledger.live), 200)):
        for token in rng.sample(tokens, min(sample, len(tokens))):
            status, _ = bench.call(port, "GET", "/v2/users/self",
                                   headers={"x-access-token": token})
            if status != expected:
                problems.append(f"HTTP spot check: a token answered {status}, not {expected}")
    return problems


def _fetch(session: Any, query: Callable[[list[str]], Any], keys: Sequence[str]) -> list[Any]:
    """Rows of ``query(chunk)`` over ``keys`` in chunks (bounded IN lists)."""
    rows: list[Any] = []
    for first in range(0, len(keys), 500):
        rows += session.execute(query(list(keys[first:first + 500]))).all()
    return rows


def audit(app: Any, ledger: Ledger) -> list[str]:
    """Compare the database with what the clients had acknowledged; returns the problems."""
    from sqlalchemy import select

    from flask_usercore.models import Credential, CredentialKind, User, UserSettings
    from flask_usercore.security.tokens import hash_token

    session = app.extensions["usercore"].deps.session
    problems = []
    names = dict(_fetch(session, lambda chunk: select(User.email, User.first_name)
                        .where(User.email.in_(chunk)), list(ledger.names)))
    settings = dict(_fetch(session, lambda chunk: select(User.email, UserSettings.settings)
                           .join(UserSettings, UserSettings.user_id == User.id)
                           .where(User.email.in_(chunk)), list(ledger.settings)))
    for what, written, stored in (("name", ledger.names, names),
                                  ("settings", ledger.settings, settings)):
        problems += [f"lost {what} write of {email}: stored {stored.get(email)!r}, "
                     f"acknowledged {w.acknowledged!r}"
                     for email, w in written.items() if not w.allows(stored.get(email))]

    def live_hashes(column: Any, tokens: Iterable[str]) -> set[str]:
        hashes = [hash_token(token) for token in tokens]
        return {row[0] for row in _fetch(session, lambda chunk: select(column).where(
            column.in_(chunk), Credential.kind == CredentialKind.SESSION), hashes)}

    ended = live_hashes(Credential.token_hash, ledger.logged_out)
    problems += [f"{len(ended)} logged-out sessions still hold their access token"] * bool(ended)
    old = live_hashes(Credential.token_hash, [old for old, _ in ledger.refreshed])
    problems += [f"{len(old)} refreshed-away access tokens are still live"] * bool(old)
    spent = live_hashes(Credential.refresh_hash, [refresh for _, refresh in ledger.refreshed])
    problems += [f"{len(spent)} rotated refresh tokens are still live"] * bool(spent)
    missing = len(ledger.live) - len(live_hashes(Credential.token_hash, ledger.live))
    problems += [f"{missing} sessions open at the end are missing"] * bool(missing)
    return problems

def audit_summary(ledger: Ledger) -> str:
    """What the audit compared."""
    acknowledged = sum(w.count for w in ledger.names.values())
    settings = sum(w.count for w in ledger.settings.values())
    return (f"  audited: {acknowledged} acknowledged name writes ({len(ledger.names)} users), "
            f"{settings} settings writes, {len(ledger.logged_out)} logouts, "
            f"{len(ledger.refreshed)} refreshes, {len(ledger.live)} sessions open at the end")
