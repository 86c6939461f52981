"""A service's error on a page speaks the page's language (docs/languages.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, sign_in, submit


def test_a_services_message_next_to_its_field_in_german(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    register("ada@example.com", nickname="ada-1")
    grace = register("grace@example.com")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    sign_in(client, grace["email"], PASSWORD)
    response = submit(client, "/account/profile", "profile-form", firstName="Grace",
                      lastName="Hopper", nickname="ada-1")
    assert response.status_code >= 400
    assert field_error(response.text, "nickname") == "der Spitzname ist bereits vergeben"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    again = submit(client, "/account/profile", "profile-form", firstName="Grace",
                   lastName="Hopper", nickname="ada-1")
    assert field_error(again.text, "nickname") == "the nickname is already taken"
