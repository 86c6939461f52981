"""Body and reply of the poll-settings operations (``poll.UserPollSettings``)."""

from __future__ import annotations

from marshmallow import fields

from ..commands.poll_settings import AnswerPoll
from .base import InputSchema, ResponseSchema, UtcDateTime
from .errortypes import OneOf
from .text import Text

#: The answers a user can give (``new`` is only the state before any answer).
ANSWERS = ("completed", "muted", "ignored")


class PollAnswerSchema(InputSchema):
    """``{status, userId}``; ``userId`` must be the caller's (checked by the view)."""

    command = AnswerPoll
    status = Text(required=True, validate=OneOf(ANSWERS))
    user_id = Text(required=True, data_key="userId")


class PollSettingsSchema(ResponseSchema):
    """``{userId, status, shouldShow, completedAt?, ignoredAt?, dontShowUntil?}``."""

    user_id = fields.Function(lambda view: str(view.user_id), data_key="userId")
    status = fields.String()
    should_show = fields.Boolean(data_key="shouldShow")
    completed_at = UtcDateTime(data_key="completedAt")
    ignored_at = UtcDateTime(data_key="ignoredAt")
    dont_show_until = UtcDateTime(data_key="dontShowUntil")
