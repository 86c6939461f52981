"""The in-app poll prompt: whether to show it, and the user's answers.

The states and what they mean (REFERENCE.md 5.6):

| status | set when | ``shouldShow`` |
|---|---|---|
| ``new`` | the user never answered (no row) | true |
| ``muted`` | "later": ``dontShowUntil`` = now + ``USERCORE_POLL_MUTE_DAYS`` | after that |
| ``ignored`` | "never": ``ignoredAt`` = now | false |
| ``completed`` | the poll was taken: ``completedAt`` = now | false |

Allowed answers: from ``new`` and ``muted`` any of them (muting again moves
``dontShowUntil``); from ``ignored`` only ``completed`` (or ``ignored`` again); from
``completed`` only ``completed`` again. Repeating an answer keeps its first moment. Any other
answer is a 400 ``PollTransitionNotAllowed`` on ``status``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import N_, Conflict, ValidationFailed
from ..models import PollSettings, PollStatus, User
from .context import Deps

_ALLOWED: dict[str, frozenset[str]] = {
    PollStatus.NEW: frozenset({PollStatus.COMPLETED, PollStatus.MUTED, PollStatus.IGNORED}),
    PollStatus.MUTED: frozenset({PollStatus.COMPLETED, PollStatus.MUTED, PollStatus.IGNORED}),
    PollStatus.IGNORED: frozenset({PollStatus.COMPLETED, PollStatus.IGNORED}),
    PollStatus.COMPLETED: frozenset({PollStatus.COMPLETED}),
}


@dataclass(frozen=True, slots=True)
class PollView:
    """``poll.UserPollSettings`` of one user at one moment."""

    user_id: uuid.UUID
    status: str
    should_show: bool
    completed_at: dt.datetime | None = None
    ignored_at: dt.datetime | None = None
    dont_show_until: dt.datetime | None = None


def _view(user: User, row: PollSettings | None, now: dt.datetime) -> PollView:
    if row is None:
        return PollView(user.id, PollStatus.NEW, True)
    show = row.status == PollStatus.MUTED and (row.dont_show_until is None
                                               or row.dont_show_until <= now)
    return PollView(user.id, row.status, show, row.completed_at, row.ignored_at,
                    row.dont_show_until)


def poll_status(deps: Deps, user: User) -> PollView:
    """The user's poll settings; ``{status: new, shouldShow: true}`` before any answer."""
    return _view(user, deps.session.get(PollSettings, user.id), deps.clock())


def answer_poll(deps: Deps, user: User, status: str) -> PollView:
    """Record the answer ``status`` (completed, muted, ignored) by the rules above."""
    now = deps.clock()
    row = deps.session.scalars(select(PollSettings).where(PollSettings.user_id == user.id)
                               .with_for_update()).first()
    current = row.status if row is not None else PollStatus.NEW
    if status not in _ALLOWED[current]:
        raise ValidationFailed.on("status", "PollTransitionNotAllowed",
                                  N_("the poll is %(current)s; it cannot become %(status)s",
                                     current=current, status=status))
    if row is None:
        row = PollSettings(user_id=user.id, status=status)
        deps.session.add(row)
    row.status, row.updated_at = status, now
    if status == PollStatus.COMPLETED:
        row.completed_at = row.completed_at if current == status else now
        row.dont_show_until = None
    elif status == PollStatus.IGNORED:
        row.ignored_at = row.ignored_at if current == status else now
        row.dont_show_until = None
    else:
        row.dont_show_until = now + dt.timedelta(days=deps.config.poll_mute_days)
    try:
        deps.session.flush()
    except IntegrityError:  # a parallel first answer stored its row first
        raise Conflict(N_("the poll was answered at the same moment; repeat the request")) from None
    return _view(user, row, now)
