"""Personalized settings: base64 round trip, validity, size limit, other users."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from flask_usercore import signals
from tests.api.resource_helpers import error_items, signed_in
from tests.conftest import Mailbox

URL = "/v2/users/{}/settings"
DOCUMENT = base64.b64encode(json.dumps(
    {"onboarding": {"completed": []}, "recentVisits": {}}).encode()).decode()


def test_no_settings_yet_is_an_empty_object(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(URL.format("self"), headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {}


def test_put_then_get_by_self_and_by_own_id(client: FlaskClient, user: dict[str, Any]) -> None:
    changed: list[Any] = []

    def receiver(sender: Any, **kw: Any) -> None:
        changed.append(kw["user"].id)

    with signals.settings_changed.connected_to(receiver):
        put = client.put(URL.format("self"), json={"settingsString": DOCUMENT},
                         headers=user["headers"])
        assert put.status_code == 204
        assert put.data == b""
        again = base64.b64encode(b"{}").decode()
        assert client.put(URL.format(user["userId"]), json={"settingsString": again},
                          headers=user["headers"]).status_code == 204
    assert changed == [uuid.UUID(user["userId"])] * 2
    for who in ("self", user["userId"]):
        assert client.get(URL.format(who), headers=user["headers"]).json == {
            "settingsString": again}


def test_invalid_base64_is_a_400(client: FlaskClient, user: dict[str, Any]) -> None:
    for value in ("not base64!", "QQ", "QUJD\nREVG"):
        response = client.put(URL.format("self"), json={"settingsString": value},
                              headers=user["headers"])
        assert error_items(response)[0][0] == ".settingsString", value
    assert error_items(client.put(URL.format("self"), json={"settingsString": 5},
                                  headers=user["headers"])) == [(".settingsString", "type")]
    assert error_items(client.put(URL.format("self"), json={},
                                  headers=user["headers"])) == [(".settingsString", "required")]


def test_the_size_limit_applies_to_the_decoded_document(
        make_app: Callable[..., Flask], mailbox: Mailbox) -> None:
    client = make_app({"USERCORE_MAX_SETTINGS_BYTES": 100}).test_client()
    headers = signed_in(client, mailbox)
    fits = base64.b64encode(b"x" * 100).decode()
    assert client.put(URL.format("self"), json={"settingsString": fits},
                      headers=headers).status_code == 204
    too_big = base64.b64encode(b"x" * 101).decode()
    assert error_items(client.put(URL.format("self"), json={"settingsString": too_big},
                                  headers=headers)) == [(".settingsString", "maxLength")]


def test_the_default_limit_admits_64_kib_beyond_the_body_limit(
        client: FlaskClient, user: dict[str, Any]) -> None:
    """64 KiB of settings are ~87 KB of base64: more than USERCORE_MAX_BODY_BYTES (64 KiB),
    so the operation raises its own body limit."""
    document = base64.b64encode(b"s" * 64 * 1024).decode()
    assert client.put(URL.format("self"), json={"settingsString": document},
                      headers=user["headers"]).status_code == 204
    assert client.get(URL.format("self"), headers=user["headers"]).json[
        "settingsString"] == document
    over = base64.b64encode(b"s" * (64 * 1024 + 1)).decode()
    assert client.put(URL.format("self"), json={"settingsString": over},
                      headers=user["headers"]).status_code == 400
    huge = "A" * (200 * 1024)
    assert client.put(URL.format("self"), json={"settingsString": huge},
                      headers=user["headers"]).status_code == 413


def test_another_users_settings_are_403(client: FlaskClient, user: dict[str, Any],
                                        register: Callable[..., Any]) -> None:
    grace = register("grace@example.com")["userId"]
    assert client.get(URL.format(grace), headers=user["headers"]).status_code == 403
    assert client.put(URL.format(grace), json={"settingsString": DOCUMENT},
                      headers=user["headers"]).status_code == 403
    assert client.get(URL.format(uuid.uuid4()), headers=user["headers"]).status_code == 403
    assert client.get(URL.format("nobody"), headers=user["headers"]).status_code == 404
    assert client.get(URL.format("self")).status_code == 401
