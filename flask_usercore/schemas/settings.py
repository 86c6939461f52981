"""Body and reply of the personalized-settings operations."""

from __future__ import annotations

from marshmallow import fields

from ..commands.settings import UpdateSettings
from .base import InputSchema, ResponseSchema
from .text import Text


class SettingsSchema(InputSchema):
    """``{settingsString}``: base64 (checked, with its size limit, by the service)."""

    command = UpdateSettings
    settings_string = Text(required=True, data_key="settingsString")


class SettingsOut(ResponseSchema):
    """``{settingsString?}``: left out while the user has stored none."""

    settings_string = fields.String(data_key="settingsString")
