"""The profile page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, sign_in, submit


def test_the_profile_is_saved_through_the_service(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/profile", "profile-form", firstName="Grace",
                      lastName="Hopper", nickname="amazing-grace")
    assert response.status_code == 303
    me = client.get("/v2/users/self").json
    assert me["person"]["firstName"] == "Grace"
    assert "Your profile is saved." in client.get(response.headers["Location"]).text


def test_the_api_rules_refuse_bad_input_next_to_the_field(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    response = submit(client, "/account/profile", "profile-form", firstName="Gr\x07ace",
                      lastName="Hopper", nickname="")
    assert response.status_code == 400
    assert field_error(response.text, "firstName")
    assert 'aria-invalid="true"' in response.text
    assert client.get("/v2/users/self").json["person"]["firstName"] == "Ada"
