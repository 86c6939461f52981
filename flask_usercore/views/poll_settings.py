"""The caller's poll settings: read, answer."""

from __future__ import annotations

import uuid

from ..commands.poll_settings import AnswerPoll
from ..errors import N_, Forbidden
from ..schemas.poll_settings import PollAnswerSchema, PollSettingsSchema
from ..services import poll_settings
from ..services.access import own_resources
from ..services.poll_settings import PollView
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("poll_settings", __name__)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@bp.operation("GET", "/poll-settings/<userId>", operation_id="user-get-poll-status",
              summary="Get poll settings for the specified user.", response=PollSettingsSchema,
              extra_statuses=(403, 404))
def get_poll_status(userId: str) -> PollView:
    return poll_settings.poll_status(deps(), own_resources(current_auth(), userId))


@bp.operation("POST", "/poll-settings/<userId>", operation_id="user-post-poll-status",
              summary="Store new or update poll settings.", body=PollAnswerSchema,
              response=PollSettingsSchema, extra_statuses=(403, 404))
def post_poll_status(userId: str, body: AnswerPoll) -> PollView:
    user = own_resources(current_auth(), userId)
    if body.user_id != "self" and _uuid(body.user_id) != user.id:
        raise Forbidden(N_("userId in the body must be the caller's id"))
    return poll_settings.answer_poll(deps(), user, body.status)
