"""Avatars: the refId flow, Pillow's checks (type from content, dimensions, bombs),
metadata stripped, storage and serving, removal, account deletion."""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import update

from flask_usercore import signals
from flask_usercore.models import UploadToken
from tests.api.avatar_support import Avatar, avatar_app_fixture  # noqa: F401 (a fixture)
from tests.api.resource_helpers import error_items, signed_in
from tests.conftest import PASSWORD, Mailbox


def png(size: tuple[int, int] = (64, 48), *, gps: bool = False, mode: str = "RGB",
        fmt: str = "PNG") -> bytes:
    """An image; with ``gps``, EXIF carrying a GPS position (and a camera make)."""
    image = Image.new(mode, size, "red" if mode in ("RGB", "RGBA") else 1)
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "SpyCam"
        location = exif.get_ifd(ExifTags.IFD.GPSInfo)
        location[ExifTags.GPS.GPSLatitudeRef] = "N"
        location[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
        location[ExifTags.GPS.GPSLongitudeRef] = "E"
        location[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
        options["exif"] = exif
    image.save(out, fmt, **options)
    return out.getvalue()


def with_dimensions(data: bytes, width: int, height: int) -> bytes:
    """``data`` (a PNG) with another size in its header: a bomb needs no huge file."""
    assert data[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + struct.pack(">I", 13) + ihdr + struct.pack(
        ">I", zlib.crc32(ihdr)) + data[33:]


def gps_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


@pytest.fixture
def avatar(avatar_app: Callable[..., Avatar]) -> Avatar:
    return avatar_app()


def test_the_upload_request_answers_a_ref_id_and_the_configured_rules(
        avatar_app: Callable[..., Avatar]) -> None:
    avatar = avatar_app(USERCORE_AVATAR_MAX_BYTES=300 * 1024, USERCORE_AVATAR_MIN_PIXELS=16,
                        USERCORE_AVATAR_MAX_PIXELS=1024,
                        USERCORE_AVATAR_MIME_TYPES=["image/png", "image/webp"])
    response = avatar.request()
    assert response.status_code == 200
    assert uuid.UUID(response.json["refId"])
    assert response.json["rules"] == {
        "maxSizeInBytes": 300 * 1024, "maxSizeInKB": 300,
        "mimeTypes": ["image/png", "image/webp"],
        "properties": {"imageDimensions": {"min": {"width": 16, "height": 16},
                                           "max": {"width": 1024, "height": 1024}}}}


def test_upload_sets_avatar_ref_and_picture_url_and_serves_the_image(avatar: Avatar) -> None:
    changed: list[str] = []

    def receiver(sender: Any, **kw: Any) -> None:
        changed.append(kw["file"].name)

    with signals.avatar_changed.connected_to(receiver):
        response = avatar.upload(png(), name="My Face.png")
    assert response.status_code == 201, response.json
    meta = response.json
    assert meta["name"] == "MyFace.png"
    assert (meta["mimeType"], meta["type"]) == ("image/png", "image/png")
    assert meta["friendlyUrl"] == meta["friendlyURL"] == f"{meta['id']}/MyFace.png"
    assert changed == ["MyFace.png"]
    me = avatar.me()
    assert me["avatarRef"] == meta["id"]
    assert me["pictureUrl"] == f"http://localhost/v2/files/{meta['id']}/MyFace.png"
    served = avatar.client.get(me["pictureUrl"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert len(served.data) == meta["sizeInBytes"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert avatar.client.get(f"/v2/files/{meta['id']}").data == served.data
    assert avatar.client.get(f"/v2/files/{meta['id']}/other.png").status_code == 404
    assert avatar.client.get(f"/v2/files/{uuid.uuid4()}").status_code == 404
    assert avatar.client.get("/v2/files/not-a-uuid").status_code == 404
    [path] = avatar.stored()
    assert path.read_bytes() == served.data


def test_exif_gps_data_is_not_kept(avatar: Avatar) -> None:
    for fmt, name in (("PNG", "gps.png"), ("JPEG", "gps.jpg"), ("WEBP", "gps.webp")):
        original = png(gps=True, fmt=fmt)
        assert gps_of(original), fmt  # the upload does carry a position
        response = avatar.upload(original, name=name)
        assert response.status_code == 201, response.json
        stored = avatar.client.get(f"/v2/files/{response.json['id']}").data
        assert gps_of(stored) == {}, fmt
        with Image.open(io.BytesIO(stored)) as image:
            assert not image.getexif(), fmt
            assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"SpyCam" not in stored


def test_the_type_comes_from_the_content(avatar: Avatar) -> None:
    response = avatar.upload(png(), name="holiday.jpg", mime="image/jpeg")
    assert response.status_code == 201
    assert (response.json["mimeType"], response.json["name"]) == ("image/png", "holiday.png")
    fake = avatar.upload(b"<svg onload=alert(1)>", name="a.png", mime="image/png")
    assert error_items(fake) == [(".file", "mimeType")]
    gif = avatar.upload(png(fmt="GIF"), name="a.gif", mime="image/gif")
    assert error_items(gif) == [(".file", "mimeType")]


def test_a_polyglot_payload_is_dropped(avatar: Avatar) -> None:
    payload = b"PK\x03\x04<?php system($_GET['c']); ?>"
    response = avatar.upload(png() + payload)
    assert response.status_code == 201
    assert b"system(" not in avatar.client.get(f"/v2/files/{response.json['id']}").data


def test_a_decompression_bomb_is_refused_before_decoding(avatar: Avatar) -> None:
    bomb = with_dimensions(png((1, 1)), 100_000, 100_000)
    assert len(bomb) < 200
    assert error_items(avatar.upload(bomb)) == [(".file", "decompressionBomb")]
    big = with_dimensions(png((1, 1)), 9000, 9000)
    assert error_items(avatar.upload(big))[0] == (".file", "decompressionBomb")
    assert avatar.stored() == []


def test_dimension_limits(avatar_app: Callable[..., Avatar]) -> None:
    avatar = avatar_app(USERCORE_AVATAR_MIN_PIXELS=32, USERCORE_AVATAR_MAX_PIXELS=128)
    assert error_items(avatar.upload(png((31, 64)))) == [(".file", "imageDimensions")]
    assert error_items(avatar.upload(png((129, 64)))) == [(".file", "imageDimensions")]
    assert avatar.upload(png((128, 32))).status_code == 201


def test_a_corrupt_image_is_a_400(avatar: Avatar) -> None:
    assert error_items(avatar.upload(png((200, 200))[:80])) == [(".file", "corruptImage")]


def test_the_size_limit(avatar_app: Callable[..., Avatar]) -> None:
    avatar = avatar_app(USERCORE_AVATAR_MAX_BYTES=1000)
    assert avatar.upload(png((40, 40))).status_code == 201
    noisy = Image.effect_noise((200, 200), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    too_big = avatar.upload(out.getvalue())
    assert too_big.status_code == 413
    assert too_big.json["type"] == "PayloadTooLarge"
    huge = avatar.upload(b"\x89PNG" + b"\0" * 100_000)  # beyond the body limit itself
    assert huge.status_code == 413


def test_the_ref_id_is_single_use_and_expires(avatar: Avatar) -> None:
    ref = avatar.ref()
    assert avatar.send(png(), ref).status_code == 201
    assert avatar.send(png(), ref).status_code == 403
    assert avatar.send(png(), str(uuid.uuid4())).status_code == 403
    expired = avatar.ref()
    with avatar.app.app_context():
        session = avatar.app.extensions["usercore"].core.db.session
        session.execute(update(UploadToken).where(UploadToken.used_at.is_(None)).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert avatar.send(png(), expired).status_code == 403


def test_a_new_request_voids_the_unused_ref_id(avatar: Avatar) -> None:
    first = avatar.ref()
    second = avatar.ref()
    assert avatar.send(png(), first).status_code == 403
    assert avatar.send(png(), second).status_code == 201


def test_a_refused_image_leaves_the_ref_id_usable(avatar: Avatar) -> None:
    ref = avatar.ref()
    assert avatar.send(b"not an image", ref).status_code == 400
    assert avatar.send(png(), ref).status_code == 201


def test_bad_upload_requests(avatar: Avatar) -> None:
    assert error_items(avatar.send(png(), None)) == [("Token", "required")]
    assert error_items(avatar.send(png(), "nope")) == [("Token", "format")]
    no_file = avatar.client.post("/v2/files", data={"file": "text"},
                                 headers={"Token": avatar.ref()},
                                 content_type="multipart/form-data")
    assert error_items(no_file) == [(".file", "type")]
    json_body = avatar.client.post("/v2/files", json={"file": "x"},
                                   headers={"Token": avatar.ref()})
    assert error_items(json_body) == [(".file", "required")]


def test_the_ref_id_belongs_to_the_user_who_asked(avatar: Avatar) -> None:
    mailbox = avatar.app.extensions["usercore"].deps.mailer
    assert isinstance(mailbox, Mailbox)
    grace = signed_in(avatar.client, mailbox, "grace@example.com")
    ref = avatar.ref()  # Ada's
    sent = avatar.client.post("/v2/files", headers={"Token": ref, **grace},
                              data={"file": (io.BytesIO(png()), "g.png", "image/png")},
                              content_type="multipart/form-data")
    assert sent.status_code == 201
    assert avatar.me()["avatarRef"] == sent.json["id"]
    assert "avatarRef" not in avatar.client.get("/v2/users/self", headers=grace).json


def test_replacing_the_avatar_removes_the_old_file(avatar: Avatar) -> None:
    first = avatar.upload(png()).json["id"]
    second = avatar.upload(png((50, 50))).json["id"]
    assert avatar.me()["avatarRef"] == second
    assert avatar.client.get(f"/v2/files/{first}").status_code == 404
    assert [p.name for p in avatar.stored()] == [f"{uuid.UUID(second).hex}.png"]


def test_remove_the_avatar(avatar: Avatar) -> None:
    file_id = avatar.upload(png()).json["id"]
    removed: list[Any] = []

    def receiver(sender: Any, **kw: Any) -> None:
        removed.append(kw["file"])

    with signals.avatar_changed.connected_to(receiver):
        response = avatar.client.delete("/v2/users/self/avatar", headers=avatar.headers)
    assert response.status_code == 204
    assert removed == [None]
    me = avatar.me()
    assert "avatarRef" not in me and "pictureUrl" not in me
    assert avatar.client.get(f"/v2/files/{file_id}").status_code == 404
    assert avatar.stored() == []
    assert avatar.client.delete("/v2/users/self/avatar",
                                headers=avatar.headers).status_code == 204


def test_removing_keeps_a_picture_url_the_user_set_themselves(avatar: Avatar) -> None:
    avatar.upload(png())
    own = "https://pictures.example/ada.png"
    assert avatar.client.put("/v2/users/self", json={"pictureUrl": own},
                             headers=avatar.headers).status_code == 204
    avatar.client.delete("/v2/users/self/avatar", headers=avatar.headers)
    me = avatar.me()
    assert me["pictureUrl"] == own
    assert "avatarRef" not in me


def test_another_users_avatar_is_403(avatar: Avatar) -> None:
    other = str(uuid.uuid4())
    assert avatar.request(other).status_code == 403
    assert avatar.client.delete(f"/v2/users/{other}/avatar",
                                headers=avatar.headers).status_code == 403
    assert avatar.client.post("/v2/users/self/avatar").status_code == 401


def test_account_deletion_removes_the_stored_files(avatar: Avatar) -> None:
    avatar.upload(png())
    assert len(avatar.stored()) == 1
    response = avatar.client.delete("/v2/users/self", json={"password": PASSWORD},
                                    headers=avatar.headers)
    assert response.status_code == 200
    assert avatar.stored() == []


def test_a_failed_deletion_keeps_the_files(avatar: Avatar) -> None:
    avatar.upload(png())
    response = avatar.client.delete("/v2/users/self", json={"password": "wrong password"},
                                    headers=avatar.headers)
    assert response.status_code == 400
    assert len(avatar.stored()) == 1
