"""Body and reply of the personalized-settings operations."""

from __future__ import annotations

from marshmallow import fields

from ..commands.settings import UpdateSettings
from .base import InputSchema, ResponseSchema
from .text import Text

#: What ``base64.b64decode(..., validate=True)`` accepts (the service's check).
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class SettingsSchema(InputSchema):
    """``{settingsString}``: base64 (checked, with its size limit, by the service)."""

    command = UpdateSettings
    settings_string = Text(required=True, data_key="settingsString",
                           metadata={"format": "base64", "pattern": BASE64,
                                     "description": "base64 (RFC 4648, with padding)."})


class SettingsOut(ResponseSchema):
    """``{settingsString?}``: left out while the user has stored none."""

    settings_string = fields.String(data_key="settingsString")
