"""Personalized settings of the caller: read and replace."""

from __future__ import annotations

from typing import Any

from ..commands.settings import UpdateSettings
from ..config import UserCoreConfig
from ..schemas.settings import SettingsOut, SettingsSchema
from ..services import settings
from ..services.access import own_resources
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("settings", __name__)


def _settings_body_limit(config: UserCoreConfig) -> int:
    """The body of a PUT holds the base64 of up to ``max_settings_bytes`` bytes."""
    return config.max_settings_bytes * 4 // 3 + 1024


@bp.operation("GET", "/users/<userId>/settings", operation_id="user-get-personalized-settings",
              summary="Get personalized settings.", response=SettingsOut,
              extra_statuses=(403, 404))
def get_settings(userId: str) -> dict[str, Any]:
    user = own_resources(current_auth(), userId)
    return {"settings_string": settings.get_settings(deps(), user)}


@bp.operation("PUT", "/users/<userId>/settings",
              operation_id="user-update-personalized-settings", status=204,
              summary="Update personalized GUI settings.", body=SettingsSchema,
              extra_statuses=(403, 404), body_limit=_settings_body_limit)
def put_settings(userId: str, body: UpdateSettings) -> None:
    settings.put_settings(deps(), own_resources(current_auth(), userId), body)
