"""The ``avatar_app`` fixture: an app whose avatars are stored in a temporary folder, and a
signed-in user of it (:class:`Avatar`). Import it into a test module to use it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.resource_helpers import signed_in
from tests.conftest import Mailbox


class Avatar:
    """A signed-in user of an app whose avatars are stored in ``folder``."""

    def __init__(self, app: Flask, client: FlaskClient, headers: dict[str, str],
                 folder: Path) -> None:
        self.app, self.client, self.headers, self.folder = app, client, headers, folder

    def request(self, who: str = "self", headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/v2/users/{who}/avatar", headers=headers or self.headers)

    def ref(self) -> str:
        response = self.request()
        assert response.status_code == 200, response.json
        ref: str = response.json["refId"]
        return ref

    def send(self, data: bytes, token: str | None, name: str = "me.png",
             mime: str = "image/png") -> Any:
        headers = {"Token": token} if token is not None else {}
        return self.client.post("/v2/files", data={"file": (io.BytesIO(data), name, mime)},
                                headers=headers, content_type="multipart/form-data")

    def upload(self, data: bytes, **kwargs: Any) -> Any:
        return self.send(data, self.ref(), **kwargs)

    def me(self) -> dict[str, Any]:
        me: dict[str, Any] = self.client.get("/v2/users/self", headers=self.headers).json
        return me

    def stored(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("*") if not p.name.startswith("."))


@pytest.fixture(name="avatar_app")
def avatar_app_fixture(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Avatar]:
    def make(**config: Any) -> Avatar:
        folder = tmp_path / "avatars"
        app = make_app({"USERCORE_AVATAR_FOLDER": str(folder), **config})
        client = app.test_client()
        mailbox = app.extensions["usercore"].deps.mailer
        assert isinstance(mailbox, Mailbox)
        return Avatar(app, client, signed_in(client, mailbox), folder)

    return make
