"""Avatars: hand out an upload ``refId`` with the rules, and remove the avatar.

The image itself arrives at ``POST /v2/files`` (``services/files.py``) with the ``refId``
in the ``Token`` header: single use, valid ``USERCORE_UPLOAD_TOKEN_TTL`` seconds, and it
belongs to the user who asked for it (the file becomes *their* avatar, whoever sends it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import update

from .. import signals
from ..config import UserCoreConfig
from ..models import UploadToken, User
from .context import Deps, after_commit, expiry
from .files import AVATAR, delete_files, token_hash


@dataclass(frozen=True, slots=True)
class UploadRules:
    """What an avatar upload must be: at most ``max_bytes``, one of ``mime_types``, and
    from ``min_pixels`` to ``max_pixels`` wide and high."""

    max_bytes: int
    mime_types: tuple[str, ...]
    min_pixels: int
    max_pixels: int


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """The answer of ``POST /v2/users/{userId}/avatar``."""

    ref_id: uuid.UUID
    rules: UploadRules


def upload_rules(config: UserCoreConfig) -> UploadRules:
    """The upload's rules: size limit, accepted types and dimensions, from the config."""
    return UploadRules(config.avatar_max_bytes, tuple(config.avatar_mime_types),
                       config.avatar_min_pixels, config.avatar_max_pixels)


def request_upload(deps: Deps, user: User) -> UploadRequest:
    """A new single-use ``refId`` for ``user``; their earlier unused ones stop working."""
    now = deps.clock()
    deps.session.execute(
        update(UploadToken).where(UploadToken.user_id == user.id,
                                  UploadToken.purpose == AVATAR,
                                  UploadToken.used_at.is_(None)).values(used_at=now))
    ref_id = uuid.uuid4()
    deps.session.add(UploadToken(user_id=user.id, token_hash=token_hash(ref_id),
                                 purpose=AVATAR,
                                 expires_at=expiry(now, deps.config.upload_token_ttl)))
    deps.session.flush()
    return UploadRequest(ref_id, upload_rules(deps.config))


def remove_avatar(deps: Deps, user: User) -> None:
    """Remove the avatar from the profile, the files table and (after the commit) the
    storage. ``pictureUrl`` is cleared when it points at the avatar; nothing to remove is
    no error."""
    removed = delete_files(deps, user, AVATAR)
    if any(user.picture_url == stored.public_url for stored in removed):
        user.picture_url = None
    if user.avatar_ref is None and not removed:
        return
    user.avatar_ref = None
    deps.session.flush()
    after_commit(deps, lambda: signals.avatar_changed.send(deps.sender, user=user, file=None))
