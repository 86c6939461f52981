"""The file upload (``POST /v2/files``, multipart field ``file``) and mittwald's FileMeta."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from werkzeug.datastructures import FileStorage

from ..commands.files import Upload, UploadFile
from .base import InputSchema, ResponseSchema, UuidString


class FileField(fields.Field[Upload]):
    """A file part of a multipart body, loaded as an :class:`Upload` (a plain form value is
    a ``type`` error)."""

    default_error_messages = {"invalid": "Not a file: send it as a multipart file part."}

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> Upload:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return Upload(value.filename, value.stream)


class FileUploadSchema(InputSchema):
    """``multipart/form-data`` with the part ``file``."""

    command = UploadFile
    file = FileField(required=True)


def _friendly(stored: Any) -> str:
    return f"{stored.id}/{stored.name}"


class FileMetaSchema(ResponseSchema):
    """mittwald's ``file.FileMeta``: id, name, type and size (with the deprecated aliases)."""

    id = UuidString()
    name = fields.String()
    mime_type = fields.String(data_key="mimeType")
    type = fields.Function(lambda stored: stored.mime_type)
    size_in_bytes = fields.Integer(attribute="size", data_key="sizeInBytes")
    friendly_url = fields.Function(_friendly, data_key="friendlyUrl")
    friendly_url_deprecated = fields.Function(_friendly, data_key="friendlyURL")
