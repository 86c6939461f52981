"""Commands of the poll-settings operations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerPoll:
    """``POST /v2/poll-settings/{userId}``: the answer (``completed``, ``muted``,
    ``ignored``) and ``user_id`` as sent (``self`` or the caller's id; the view checks it)."""

    status: str
    user_id: str
