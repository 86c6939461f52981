"""Reply of ``POST /v2/users/{userId}/avatar``."""

from __future__ import annotations

from marshmallow import fields

from .base import ResponseSchema, UuidString


class AvatarUploadSchema(ResponseSchema):
    """``{refId, rules: {maxSizeInBytes, maxSizeInKB, mimeTypes, properties}}``."""

    ref_id = UuidString(data_key="refId")
    rules = fields.Dict()
