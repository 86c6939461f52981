"""Commands of the feedback operations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SubmitFeedback:
    """``POST /v2/users/self/feedback``; a ``vote`` of 0 is no vote."""

    subject: str
    message: str | None = None
    origin: str | None = None
    type: str | None = None
    vote: float | None = None


@dataclass(frozen=True, slots=True)
class ListFeedback:
    """``GET /v2/users/{userId}/feedback?subject=``: only feedback whose subject contains
    ``subject``, ignoring case."""

    subject: str | None = None
