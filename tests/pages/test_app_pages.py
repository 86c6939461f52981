"""The connected apps page: the OAuth2 clients the user allowed, and disconnecting one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore.models import OAuth2Consent
from tests.api.oauth2_support import bearer, code_for, exchange, new_client, pkce
from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, forms, sign_in, submit

URL = "/account/apps"


@pytest.fixture
def ada(client: FlaskClient, register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    return facts


def connect(app: Flask, client: FlaskClient, email: str, name: str,
            scopes: tuple[str, ...] = ("profile",)) -> tuple[str, dict[str, Any]]:
    """A client the user allowed (through the API), and its tokens."""
    other = app.test_client()
    token = other.post("/v2/authenticate", json={"email": email, "password": PASSWORD}
                       ).json["token"]
    client_id, secret = new_client(app, name=name, scopes=scopes)
    verifier, challenge = pkce()
    code = code_for(other, client_id, bearer(token), challenge, scope=" ".join(scopes))
    return client_id, exchange(other, client_id, secret, code, verifier).json


def consents(app: Flask) -> int:
    with app.app_context():
        return int(app.extensions["usercore"].deps.session.scalar(
            select(func.count()).select_from(OAuth2Consent)) or 0)


def test_the_apps_are_listed_with_their_scopes_in_words(
        app: Flask, client: FlaskClient, ada: dict[str, Any]) -> None:
    client_id, _ = connect(app, client, ada["email"], "Photo Printer", ("profile", "email"))
    page = client.get(URL)
    assert page.status_code == 200
    assert "Photo Printer" in page.text
    assert "see your e-mail address" in page.text
    assert "read and change your profile" in page.text
    assert f'id="revoke-{client_id}"' in page.text


def test_disconnecting_asks_then_revokes_the_apps_tokens(
        app: Flask, client: FlaskClient, ada: dict[str, Any]) -> None:
    client_id, tokens = connect(app, client, ada["email"], "Photo Printer")
    other = app.test_client()
    assert other.get("/v2/users/self", headers=bearer(tokens["access_token"])
                     ).status_code == 200
    url = f"{URL}/{client_id}/revoke"
    assert "Photo Printer" in client.get(url).text
    unconfirmed = submit(client, url, "revoke-app-form")
    assert unconfirmed.status_code == 400 and field_error(unconfirmed.text, "confirm")
    assert consents(app) == 1
    done = submit(client, url, "revoke-app-form", confirm="y")
    assert done.status_code == 303
    assert consents(app) == 0
    assert other.get("/v2/users/self", headers=bearer(tokens["access_token"])
                     ).status_code == 401
    refreshed = other.post("/v2/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code in (400, 401)
    page = client.get(done.headers["Location"])
    assert "The app is disconnected." in page.text and 'id="no-apps"' in page.text


def test_an_app_of_another_user_or_a_bad_id_is_not_found(
        app: Flask, client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    theirs = register("grace@example.com")
    client_id, _ = connect(app, client, theirs["email"], "Grace's App")
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    for bad in (client_id, "x" * 300, "nul%00here"):
        assert client.get(f"{URL}/{bad}/revoke").status_code == 404, bad
    token = forms(client.get("/account/profile").text)["profile-form"]["fields"]["csrf_token"]
    for bad in (client_id, "nul%00here"):
        refused = client.post(f"{URL}/{bad}/revoke", data={"csrf_token": token,
                                                            "confirm": "y"})
        assert refused.status_code == 404, bad
    assert consents(app) == 1


def test_csrf_is_required(app: Flask, client: FlaskClient, ada: dict[str, Any]) -> None:
    client_id, _ = connect(app, client, ada["email"], "Photo Printer")
    assert client.post(f"{URL}/{client_id}/revoke", data={"confirm": "y"}).status_code == 400
    assert consents(app) == 1


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    assert client.get(URL).headers["Location"] == f"/account/sign-in?next={URL}"


def test_the_page_in_german(app: Flask, client: FlaskClient, ada: dict[str, Any]) -> None:
    connect(app, client, ada["email"], "Photo Printer")
    page = client.get(URL, headers={"Accept-Language": "de"})
    assert "<h1>Verbundene Apps</h1>" in page.text
    assert "Trennen" in page.text
