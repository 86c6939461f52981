"""Storage faults: an avatar upload to a full or read-only folder answers a clear 507 or 503
with nothing left behind; a file the storage wrote whose commit then failed is deleted; what
a crash left is deleted by ``flask usercore purge``."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from flask_usercore import hooks
from flask_usercore.models import StoredFile
from tests.api.avatar_support import Avatar, avatar_app_fixture  # noqa: F401 (a fixture)
from tests.api.test_avatar import png


def everything(folder: Path) -> list[str]:
    """Every file of the folder, hidden ``.part`` files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def fail_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """The file system under the storage: half of each write lands, then ``code``."""

    def half_then_fail(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(hooks, "_write_all", half_then_fail)


def file_rows(app: Flask) -> list[str]:
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        return list(session.scalars(select(StoredFile.storage_key)))


@pytest.mark.parametrize(("code", "status", "kind"), [
    (errno.ENOSPC, 507, "InsufficientStorage"), (errno.EDQUOT, 507, "InsufficientStorage"),
    (errno.EROFS, 503, "StorageUnavailable"), (errno.EIO, 503, "StorageUnavailable")])
def test_a_write_that_fails_answers_a_clear_error_and_leaves_nothing(
        avatar_app: Callable[..., Avatar], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, code: int, status: int, kind: str) -> None:
    avatar = avatar_app()
    ref = avatar.ref()
    with monkeypatch.context() as patch:
        fail_writes(patch, code)
        response = avatar.send(png(), ref)
    assert response.status_code == status
    assert response.json["type"] == kind and response.json["code"] == status
    if status == 503:
        assert response.headers["Retry-After"] == "60"
    assert everything(avatar.folder) == []  # no .part file, no avatar
    assert file_rows(avatar.app) == [] and avatar.me().get("avatarRef") is None
    assert f"the avatar storage refused a write: OSError ({errno.errorcode[code]})" in (
        caplog.text)
    # nothing was used up: the same refId works once the storage is back
    retried = avatar.send(png(), ref)
    assert retried.status_code == 201, retried.json
    assert len(avatar.stored()) == 1


def test_a_read_only_folder_answers_503(avatar_app: Callable[..., Avatar],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    avatar = avatar_app()
    avatar.folder.mkdir(parents=True)
    if os.geteuid() == 0:  # root writes through any mode: the file system says EROFS
        fail_writes(monkeypatch, errno.EROFS)
    avatar.folder.chmod(0o500)
    try:
        response = avatar.upload(png())
    finally:
        avatar.folder.chmod(0o700)
    assert response.status_code == 503 and response.json["type"] == "StorageUnavailable"
    assert everything(avatar.folder) == []


@pytest.fixture
def failing_commit() -> Iterator[list[bool]]:
    """While the list holds True, every commit fails."""
    armed: list[bool] = []

    def fail(session: Any) -> None:
        if armed:
            raise RuntimeError("the database went away at the commit")

    event.listen(Session, "before_commit", fail)
    yield armed
    event.remove(Session, "before_commit", fail)


def test_a_file_whose_commit_failed_is_deleted(avatar_app: Callable[..., Avatar],
                                               failing_commit: list[bool]) -> None:
    avatar = avatar_app()
    ref = avatar.ref()
    failing_commit.append(True)
    response = avatar.send(png(), ref)
    failing_commit.clear()
    assert response.status_code == 500
    assert everything(avatar.folder) == [] and file_rows(avatar.app) == []


def test_purge_deletes_orphans_and_part_files_but_keeps_the_avatar(
        avatar_app: Callable[..., Avatar]) -> None:
    avatar = avatar_app()
    assert avatar.upload(png()).status_code == 201
    [kept] = avatar.stored()
    orphan = avatar.folder / "0123456789abcdef0123456789abcdef.png"  # a crash before commit
    orphan.write_bytes(png())
    part = avatar.folder / f".{orphan.name}.0badcafe.part"  # a crash in the write
    part.write_bytes(b"half")
    young = avatar.folder / "fedcba9876543210fedcba9876543210.png"  # an upload in flight
    young.write_bytes(png())
    hour_ago = time.time() - 3700
    for path in (kept, orphan, part):
        os.utime(path, (hour_ago, hour_ago))
    result = avatar.app.test_cli_runner().invoke(args=["usercore", "purge"])
    assert result.exit_code == 0, result.output
    assert "2 orphaned files" in result.output
    assert everything(avatar.folder) == sorted([kept.name, young.name])
    assert file_rows(avatar.app) == [kept.name]
    assert avatar.client.get(avatar.me()["avatarRef"] and
                             f"/v2/files/{avatar.me()['avatarRef']}").status_code == 200


def test_purge_says_when_the_storage_cannot_list(make_app: Callable[..., Flask]) -> None:
    class Remote:
        def save(self, key: str, data: bytes, mime_type: str) -> None: ...
        def load(self, key: str) -> bytes | None: return None
        def delete(self, key: str) -> None: ...
        def url(self, key: str) -> str | None: return None

    app = make_app(avatar_storage=Remote())
    result = app.test_cli_runner().invoke(args=["usercore", "purge"])
    assert result.exit_code == 0, result.output
    assert "no files (the avatar storage cannot list its files)" in result.output
