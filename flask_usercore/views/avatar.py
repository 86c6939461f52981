"""The caller's avatar: request an upload (``refId`` + rules), remove it."""

from __future__ import annotations

from ..commands.empty import Empty
from ..schemas.avatar import AvatarUploadSchema
from ..schemas.base import EmptySchema
from ..services import avatar
from ..services.access import own_resources
from ..services.avatar import UploadRequest
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("avatar", __name__)


@bp.operation("POST", "/users/<userId>/avatar", operation_id="user-request-avatar-upload",
              summary="Request a new avatar image upload.", body=EmptySchema,
              response=AvatarUploadSchema, extra_statuses=(403, 404))
def request_avatar_upload(userId: str, body: Empty) -> UploadRequest:
    return avatar.request_upload(deps(), own_resources(current_auth(), userId))


@bp.operation("DELETE", "/users/<userId>/avatar", operation_id="user-remove-avatar",
              status=204, summary="Remove Avatar.", extra_statuses=(403, 404))
def remove_avatar(userId: str) -> None:
    avatar.remove_avatar(deps(), own_resources(current_auth(), userId))
