"""The API tokens page: list, create (shown once), edit, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_usercore.commands.registration import Person, Register
from flask_usercore.models import utcnow
from flask_usercore.services.context import commit
from flask_usercore.services.registration import create_user
from tests.api.mfa_flow import TotpClock
from tests.api.roles_support import make_admin
from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, forms, sign_in, submit

URL = "/account/api-tokens"


@pytest.fixture
def ada(client: FlaskClient, register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    return facts


def tokens(client: FlaskClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get("/v2/users/self/api-tokens").json
    return listed


def create(client: FlaskClient, **values: Any) -> Any:
    values.setdefault("roles", ["api_read"])
    return submit(client, URL, "create-api-token-form", **values)


def test_a_new_token_is_shown_once_in_the_answer_and_works(
        client: FlaskClient, ada: dict[str, Any]) -> None:
    response = create(client, description="deploy script", roles=["api_read", "api_write"],
                      expiresAt="2099-01-31T12:00")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = forms_secret(response.text)
    assert token.endswith(":usercore_at")
    assert token not in response.headers.get("Location", "")
    [stored] = tokens(client)
    assert stored["description"] == "deploy script"
    assert stored["roles"] == ["api_read", "api_write"]
    assert stored["expiresAt"] == "2099-01-31T12:00:00Z"
    other = client.application.test_client()
    assert other.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"}
                     ).json["email"] == ada["email"]
    again = client.get(URL)
    assert token not in again.text, "shown once only"
    assert "deploy script" in again.text


def forms_secret(html: str) -> str:
    start = html.index('<p class="secret" id="new-token">') + len(
        '<p class="secret" id="new-token">')
    return html[start:html.index("</p>", start)]


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
        client: FlaskClient, ada: dict[str, Any]) -> None:
    past = create(client, description="old", expiresAt="2001-01-01T00:00")
    assert past.status_code == 400
    assert field_error(past.text, "expiresAt") == "Must be in the future."
    garbage = create(client, description="x", expiresAt="soon")
    assert field_error(garbage.text, "expiresAt")
    no_roles = create(client, description="x", roles=[])
    assert no_roles.status_code == 400
    assert 'id="roles-error"' in no_roles.text
    long = create(client, description="d" * 256)
    assert field_error(long.text, "description")
    assert tokens(client) == []


def test_a_role_the_user_may_not_give_is_refused(client: FlaskClient,
                                                 ada: dict[str, Any]) -> None:
    page = client.get(URL)
    assert "usercore.admin" not in page.text
    refused = create(client, description="admin", roles=["api_read", "usercore.admin"])
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text
    assert tokens(client) == []


def test_a_holder_of_the_admin_permission_may_give_the_admin_role(
        app: Flask, client: FlaskClient, ada: dict[str, Any]) -> None:
    make_admin(app, ada["userId"])
    page = client.get(URL)
    assert 'value="usercore.admin"' in page.text
    made = create(client, description="admin", roles=["api_read", "usercore.admin"])
    assert made.status_code == 200
    [token] = tokens(client)
    assert token["admin"] is True
    assert "Use the admin API" in made.text


def test_an_old_sign_in_needs_the_password(app: Flask, client: FlaskClient,
                                           ada: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    clock = TotpClock()
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", clock)
    clock.advance(15 * 60 + 1)
    missing = create(client, description="ci")
    assert missing.status_code == 401
    assert "enter your current password" in field_error(missing.text, "password")
    wrong = create(client, description="ci", password="not my password 1")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "password")
    assert tokens(client) == []
    right = create(client, description="ci", password=PASSWORD)
    assert right.status_code == 200
    assert len(tokens(client)) == 1


def test_the_limit_of_the_api_holds(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_MAX_API_TOKENS": 1}, pages=True)
    client = app.test_client()
    with app.app_context():
        deps = app.extensions["usercore"].deps
        create_user(deps, Register("max@example.com", PASSWORD, Person("Max", "Mustermann")),
                    verified_at=utcnow())
        commit(deps.session)
    sign_in(client, "max@example.com", PASSWORD)
    assert create(client, description="one").status_code == 200
    second = create(client, description="two")
    assert second.status_code == 400
    assert "at most 1 API tokens" in second.text
    assert len(tokens(client)) == 1


def test_edit_changes_description_and_expiry(client: FlaskClient,
                                             ada: dict[str, Any]) -> None:
    create(client, description="old name", expiresAt="2099-01-01T00:00")
    [token] = tokens(client)
    url = f"{URL}/{token['apiTokenId']}/edit"
    form = forms(client.get(url).text)["edit-api-token-form"]
    assert form["fields"]["description"] == "old name"
    assert form["fields"]["expiresAt"] == "2099-01-01T00:00:00"
    bad = submit(client, url, "edit-api-token-form", description="")
    assert bad.status_code == 400 and field_error(bad.text, "description")
    done = submit(client, url, "edit-api-token-form", description="new name", expiresAt="")
    assert done.status_code == 303
    [edited] = tokens(client)
    assert edited["description"] == "new name" and "expiresAt" not in edited
    assert "The API token is saved." in client.get(done.headers["Location"]).text


def test_delete_asks_then_revokes(client: FlaskClient, ada: dict[str, Any]) -> None:
    secret = forms_secret(create(client, description="gone soon").text)
    [token] = tokens(client)
    url = f"{URL}/{token['apiTokenId']}/delete"
    assert "gone soon" in client.get(url).text
    unconfirmed = submit(client, url, "delete-api-token-form")
    assert unconfirmed.status_code == 400 and field_error(unconfirmed.text, "confirm")
    assert len(tokens(client)) == 1
    done = submit(client, url, "delete-api-token-form", confirm="y")
    assert done.status_code == 303
    assert tokens(client) == []
    other = client.application.test_client()
    assert other.get("/v2/users/self", headers={"Authorization": f"Bearer {secret}"}
                     ).status_code == 401


def test_another_users_token_is_not_found(client: FlaskClient,
                                          register: Callable[..., dict[str, Any]]) -> None:
    theirs = register("grace@example.com")
    sign_in(client, theirs["email"], PASSWORD)
    create(client, description="grace's")
    [token] = tokens(client)
    client.delete_cookie("x-access-token")
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    for action in ("edit", "delete"):
        assert client.get(f"{URL}/{token['apiTokenId']}/{action}").status_code == 404
    csrf = forms(client.get(URL).text)["create-api-token-form"]["fields"]["csrf_token"]
    refused = client.post(f"{URL}/{token['apiTokenId']}/delete",
                          data={"csrf_token": csrf, "confirm": "y"})
    assert refused.status_code == 404


def test_csrf_is_required(client: FlaskClient, ada: dict[str, Any]) -> None:
    refused = client.post(URL, data={"description": "x", "roles": ["api_read"]})
    assert refused.status_code == 400
    assert tokens(client) == []


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    assert client.get(URL).headers["Location"] == f"/account/sign-in?next={URL}"


def test_the_page_in_german(client: FlaskClient, ada: dict[str, Any]) -> None:
    page = client.get(URL, headers={"Accept-Language": "de"})
    assert "<h1>API-Token</h1>" in page.text
    assert "Lesen und schreiben" in page.text
