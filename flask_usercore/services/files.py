"""Uploaded files (avatars): accept an upload for a ``refId``, serve a stored file, and
remove a user's files from the storage.

An upload is checked and re-encoded (``security/images.py``) before anything is stored; the
storage (``hooks.AvatarStorage``) gets the clean bytes under a fresh key, the files table a
row, and the user ``avatarRef`` and ``pictureUrl``. The previous avatar's bytes are deleted
once the new one is committed. A storage that cannot write answers a clear error with
nothing stored: 507 ``InsufficientStorage`` for a full disk or quota, 503
``StorageUnavailable`` for any other ``OSError`` (a read-only or missing folder, no
permission). Should the operation roll back, or its commit fail, after the storage wrote,
the file is deleted again; a file a crash left behind is deleted by ``flask usercore purge``
(``services/purge.py``).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import delete, select, update

from .. import signals
from ..errors import (
    N_,
    Forbidden,
    InsufficientStorage,
    NotFound,
    PayloadTooLarge,
    StorageUnavailable,
    ValidationFailed,
)
from ..models import StoredFile, UploadToken, User
from ..security.images import ImageRefused, clean_image
from .context import Deps, after_commit, on_rollback

AVATAR = "avatar"
#: The ``OSError`` numbers of a full storage (507); any other one is a 503.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
logger = logging.getLogger("flask_usercore")
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def file_name(declared: str | None, extension: str) -> str:
    """A safe name for the stored file: the declared stem (letters, digits, ``-``, ``_``;
    others dropped, at most 64) with the extension of the *real* type."""
    stem = (declared or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    safe = "".join(char for char in stem if char in _NAME_CHARACTERS)[:64]
    return f"{safe or AVATAR}.{extension}"


def token_hash(ref_id: uuid.UUID) -> str:
    """How a ``refId`` is stored: SHA-256 of its canonical form (it has 122 random bits)."""
    return hashlib.sha256(str(ref_id).encode()).hexdigest()


def _use_token(deps: Deps, ref_id: uuid.UUID) -> uuid.UUID:
    """Mark the ``refId`` used (one conditional UPDATE) and return its user's id; 403 when
    it is unknown, used or expired."""
    now = deps.clock()
    row = deps.session.scalars(select(UploadToken).where(
        UploadToken.token_hash == token_hash(ref_id), UploadToken.purpose == AVATAR)).first()
    refused = Forbidden(N_("the upload token is unknown, used or expired; request a new one"))
    if row is None:
        raise refused
    used = deps.session.execute(
        update(UploadToken).where(UploadToken.id == row.id, UploadToken.used_at.is_(None),
                                  UploadToken.expires_at > now).values(used_at=now))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise refused
    return row.user_id


def upload_avatar(deps: Deps, ref_id: uuid.UUID, data: bytes, declared_name: str | None,
                  public_url: Callable[[uuid.UUID, str], str]) -> StoredFile:
    """Store ``data`` as the avatar of the user who asked for ``ref_id``.

    ``public_url(file_id, name)`` is where the extension serves a file (used when the
    storage has no URL of its own). 413 over ``USERCORE_AVATAR_MAX_BYTES``; 400 naming
    ``file`` when it is no accepted image (type from the content, dimensions, decompression
    bomb, corrupt data); 403 for a bad ``refId``.
    """
    user_id = _use_token(deps, ref_id)
    if len(data) > deps.config.avatar_max_bytes:
        raise PayloadTooLarge(N_("the avatar may have at most %(count)s bytes",
                                 count=deps.config.avatar_max_bytes))
    try:
        image = clean_image(data, mime_types=deps.config.avatar_mime_types,
                            min_pixels=deps.config.avatar_min_pixels,
                            max_pixels=deps.config.avatar_max_pixels)
    except ImageRefused as exc:
        raise ValidationFailed.on("file", exc.kind, exc.message) from None
    user = deps.session.get(User, user_id)
    if user is None:  # the account went away (its tokens with it): cannot happen
        raise NotFound(N_("no user for this upload token"))
    file_id = uuid.uuid4()
    name = file_name(declared_name, image.extension)
    key = f"{file_id.hex}.{image.extension}"
    save(deps, key, image.data, image.mime_type)
    delete_files(deps, user, AVATAR)  # the old avatar's bytes go after the commit
    stored = StoredFile(id=file_id, user_id=user.id, purpose=AVATAR, name=name,
                        mime_type=image.mime_type, size=len(image.data), width=image.width,
                        height=image.height, storage_key=key,
                        public_url=deps.avatars.url(key) or public_url(file_id, name))
    deps.session.add(stored)
    user.avatar_ref, user.picture_url = file_id, stored.public_url
    deps.session.flush()
    after_commit(deps, lambda: signals.avatar_changed.send(deps.sender, user=user,
                                                           file=stored))
    return stored


def save(deps: Deps, key: str, data: bytes, mime_type: str) -> None:
    """Store ``data`` under ``key``, deleted again should the transaction not commit.

    507 when the storage is full, 503 when it refuses the write otherwise (its ``OSError``
    is logged with its errno, once per upload).
    """
    on_rollback(deps, lambda: deps.avatars.delete(key))
    try:
        deps.avatars.save(key, data, mime_type)
    except OSError as exc:
        logger.error("the avatar storage refused a write: %s (%s)", type(exc).__name__,
                     errno.errorcode.get(exc.errno or 0, exc.errno))
        raise (InsufficientStorage() if exc.errno in FULL else StorageUnavailable()) from None


def get_file(deps: Deps, file_id: str) -> tuple[StoredFile, bytes]:
    """A stored file and its bytes; 404 when there is none with this id."""
    try:
        wanted = uuid.UUID(file_id)
    except ValueError:
        raise NotFound(N_("no file with this id")) from None
    stored = deps.session.get(StoredFile, wanted)
    data = deps.avatars.load(stored.storage_key) if stored is not None else None
    if stored is None or data is None:
        raise NotFound(N_("no file with this id"))
    return stored, data


def delete_files(deps: Deps, user: User, purpose: str) -> list[StoredFile]:
    """Delete the user's ``purpose`` files from the table now and from the storage after
    the commit; the rows removed."""
    rows = list(deps.session.scalars(select(StoredFile).where(
        StoredFile.user_id == user.id, StoredFile.purpose == purpose)))
    if rows:
        deps.session.execute(delete(StoredFile).where(
            StoredFile.id.in_([row.id for row in rows])))
        forget_after_commit(deps, [row.storage_key for row in rows])
    return rows


def storage_keys(deps: Deps, user_id: uuid.UUID) -> list[str]:
    """The storage keys of every file of the user (for account deletion)."""
    return list(deps.session.scalars(select(StoredFile.storage_key)
                                     .where(StoredFile.user_id == user_id)))


def forget_after_commit(deps: Deps, keys: list[str]) -> None:
    """Delete ``keys`` from the avatar storage once the transaction has committed."""
    if not keys:
        return

    def forget() -> None:
        for key in keys:
            deps.avatars.delete(key)

    after_commit(deps, forget)
