"""Feedback: users submit it, list their own, and the host forwards it from a signal."""

from __future__ import annotations

from sqlalchemy import select

from .. import signals
from ..commands.feedback import SubmitFeedback
from ..models import Feedback, User
from .context import Deps, after_commit


def submit_feedback(deps: Deps, user: User, command: SubmitFeedback) -> Feedback:
    """Store the feedback; ``feedback-submitted`` announces it after the commit. A vote of 0
    is no vote (as the document says)."""
    feedback = Feedback(user_id=user.id, subject=command.subject, message=command.message,
                        origin=command.origin, type=command.type, vote=command.vote or None)
    deps.session.add(feedback)
    deps.session.flush()
    after_commit(deps, lambda: signals.feedback_submitted.send(deps.sender, user=user,
                                                               feedback=feedback))
    return feedback


def list_feedback(deps: Deps, user: User, subject: str | None = None) -> list[Feedback]:
    """The user's feedback, oldest first; with ``subject``, only those whose subject
    contains it, ignoring case."""
    query = select(Feedback).where(Feedback.user_id == user.id)
    if subject:
        query = query.where(Feedback.subject.icontains(subject, autoescape=True))
    return list(deps.session.scalars(query.order_by(Feedback.created_at, Feedback.id)))
