"""mittwald's File API, as far as avatars need it: upload with a ``refId``, read a file.

``POST /v2/files`` takes the ``refId`` of ``POST /v2/users/{userId}/avatar`` in the ``Token``
header (it is the credential: no access token is needed) and the image in the multipart part
``file``. The stored avatars are public pictures, served at ``/v2/files/{fileId}`` and
``/v2/files/{fileId}/{name}`` (where ``pictureUrl`` points) under unguessable ids.
"""

from __future__ import annotations

import uuid

from flask import Response, request, url_for

from ..commands.files import UploadFile
from ..config import UserCoreConfig
from ..errors import N_, FieldError, NotFound, ValidationFailed
from ..models import StoredFile
from ..schemas.files import FileMetaSchema, FileUploadSchema
from ..services import files
from ..web import CapabilityBlueprint, deps

bp = CapabilityBlueprint("files", __name__)
#: Multipart framing around the file (boundaries, part headers, a long file name).
_MULTIPART_OVERHEAD = 16 * 1024


def _upload_limit(config: UserCoreConfig) -> int:
    return config.avatar_max_bytes + _MULTIPART_OVERHEAD


def _ref_id() -> uuid.UUID:
    value = request.headers.get("Token")
    if value is None:
        raise ValidationFailed([FieldError("Token", N_("the Token header (the refId) is required"),
                                           "required", {"missingProperty": "Token"})])
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed.single("Token", "format", N_("the Token header must be the "
                                      "refId (a UUID)")) from None


def _public_url(file_id: uuid.UUID, name: str) -> str:
    return url_for(".get_file_named", fileId=str(file_id), fileName=name, _external=True)


@bp.operation("POST", "/files", operation_id="file-create-file", status=201, kinds=(),
              summary="Create a File.", body=FileUploadSchema, body_format="multipart",
              response=FileMetaSchema, extra_statuses=(403, 413, 503, 507),
              body_limit=_upload_limit)
def create_file(body: UploadFile) -> StoredFile:
    ref_id = _ref_id()
    data = body.file.stream.read(deps().config.avatar_max_bytes + 1)
    return files.upload_avatar(deps(), ref_id, data, body.file.filename, _public_url)


def _serve(stored: StoredFile, data: bytes) -> Response:
    response = Response(data, mimetype=stored.mime_type)
    response.headers["Content-Disposition"] = f'inline; filename="{stored.name}"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.operation("GET", "/files/<fileId>", operation_id="file-get-file", kinds=(),
              summary="Get a File.", extra_statuses=(404,))
def get_file(fileId: str) -> Response:
    return _serve(*files.get_file(deps(), fileId))


@bp.operation("GET", "/files/<fileId>/<fileName>", operation_id="file-get-file-with-name",
              kinds=(), summary="Get a File with user-friendly url.", extra_statuses=(404,))
def get_file_named(fileId: str, fileName: str) -> Response:
    stored, data = files.get_file(deps(), fileId)
    if fileName != stored.name:
        raise NotFound(N_("no file with this id and name"))
    return _serve(stored, data)
