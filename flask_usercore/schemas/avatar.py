"""Reply of ``POST /v2/users/{userId}/avatar``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields

from .base import ResponseSchema, UuidString

if TYPE_CHECKING:
    from ..services.avatar import UploadRules


class UploadRulesField(fields.Dict):
    """``rules``: the upload's limits as the document's object."""

    def _serialize(self, value: Any, attr: str | None, obj: Any,
                   **kwargs: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        rules: UploadRules = value
        low, high = rules.min_pixels, rules.max_pixels
        return {"maxSizeInBytes": rules.max_bytes, "maxSizeInKB": rules.max_bytes // 1024,
                "mimeTypes": list(rules.mime_types),
                "properties": {"imageDimensions": {"min": {"width": low, "height": low},
                                                   "max": {"width": high, "height": high}}}}


class AvatarUploadSchema(ResponseSchema):
    """``{refId, rules: {maxSizeInBytes, maxSizeInKB, mimeTypes, properties}}``."""

    ref_id = UuidString(data_key="refId")
    rules = UploadRulesField()
