"""The SMS outbox, the local avatar storage and the resources' configuration keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flask_usercore import ConfigError, FileOutboxSmsSender, LocalAvatarStorage
from flask_usercore.config import load_config
from flask_usercore.hooks import AvatarStorage, SmsSender


def test_the_sms_outbox_writes_one_file_per_message_in_order(tmp_path: Path) -> None:
    sender = FileOutboxSmsSender(tmp_path / "sms")
    assert isinstance(sender, SmsSender)
    sender.send_sms("+491701234567", "first")
    sender.send_sms("+447911123456", "second")
    files = sorted((tmp_path / "sms").glob("*.txt"))
    assert [f.read_text() for f in files] == ["To: +491701234567\n\nfirst\n",
                                              "To: +447911123456\n\nsecond\n"]


def test_local_avatar_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalAvatarStorage(tmp_path / "avatars")
    assert isinstance(storage, AvatarStorage)
    assert storage.load("0123abcd.png") is None
    storage.save("0123abcd.png", b"image", "image/png")
    assert storage.load("0123abcd.png") == b"image"
    assert storage.url("0123abcd.png") is None
    assert [p.name for p in (tmp_path / "avatars").iterdir()] == ["0123abcd.png"]
    storage.delete("0123abcd.png")
    storage.delete("0123abcd.png")  # gone already: no error
    assert storage.load("0123abcd.png") is None


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b.png", ".hidden", "a..png", "", "x" * 200])
def test_local_avatar_storage_refuses_keys_that_are_no_plain_names(tmp_path: Path,
                                                                   key: str) -> None:
    storage = LocalAvatarStorage(tmp_path / "avatars")
    with pytest.raises(ValueError, match="not a storage key"):
        storage.save(key, b"x", "image/png")


BASE = {"SECRET_KEY": "test-secret-key-0123456789abcdef"}


@pytest.mark.parametrize(("key", "value", "words"), [
    ("USERCORE_MAX_SETTINGS_BYTES", 0, "positive"),
    ("USERCORE_SSH_KEYS_MAX", 0, "positive"),
    ("USERCORE_POLL_MUTE_DAYS", -1, "positive"),
    ("USERCORE_AVATAR_MAX_BYTES", 0, "positive"),
    ("USERCORE_UPLOAD_TOKEN_TTL", 0, "positive"),
    ("USERCORE_AVATAR_MAX_PIXELS", 8, "at least"),
    ("USERCORE_AVATAR_MIME_TYPES", ["image/gif"], "some of"),
    ("USERCORE_AVATAR_MIME_TYPES", [], "some of"),
    ("USERCORE_SMS_RATELIMIT", "often", "not a limit string"),
    ("USERCORE_SMS_OUTBOX", 5, "type str"),
])
def test_bad_resource_settings_are_refused_at_start(key: str, value: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_config({**BASE, key: value})


def test_resource_defaults() -> None:
    config = load_config(BASE)
    assert config.max_settings_bytes == 64 * 1024
    assert config.avatar_mime_types == ("image/png", "image/jpeg", "image/webp")
    assert load_config({**BASE, "USERCORE_SMS_RATELIMIT": ""}).sms_ratelimit == ""
