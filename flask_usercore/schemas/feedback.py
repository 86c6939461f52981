"""Body of ``POST /v2/users/self/feedback``, the list's query and ``user.UserFeedback``."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, fields

from ..commands.feedback import ListFeedback, SubmitFeedback
from .base import InputSchema, ResponseSchema, UuidString
from .errortypes import OneOf, Range
from .text import Text, text

FEEDBACK_TYPES = ("feedback", "bug")
#: ``user.UserFeedback.message`` allows 1000 characters, the input 5000: a longer message is
#: cut in the list (its whole text went to the ``feedback-submitted`` receivers).
LISTED_MESSAGE = 1000


class Number(fields.Float):
    """A JSON number only (``"5"`` and ``true`` are type errors)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return float(super()._deserialize(value, attr, data, **kwargs))


class FeedbackSchema(InputSchema):
    """``{subject, message?, origin?, type?, vote?}`` with the document's limits; the
    message may have several lines."""

    command = SubmitFeedback
    subject = text(100, min_length=1, required=True)
    message = text(5000, multiline=True)
    origin = text(1000)
    type = Text(validate=OneOf(FEEDBACK_TYPES))
    vote = Number(validate=Range(min=0, max=10))


class FeedbackQuery(InputSchema):
    """``?subject=``: only feedback whose subject contains it (ignoring case)."""

    class Meta:
        unknown = EXCLUDE

    command = ListFeedback
    subject = text(100)


class FeedbackOut(ResponseSchema):
    """``user.UserFeedback``: every field required, so absent ones are ``""`` or ``0``."""

    id = UuidString()
    subject = fields.String()
    message = fields.Function(lambda f: (f.message or "")[:LISTED_MESSAGE])
    origin = fields.Function(lambda f: f.origin or "")
    vote = fields.Function(lambda f: f.vote or 0)


class FeedbackCreated(ResponseSchema):
    """The ``201 {}`` of a submission."""
