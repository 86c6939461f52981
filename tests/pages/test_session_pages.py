"""The sessions page: the list, ending one, ending all others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.pages.page_support import field_error, forms, sign_in, submit

FIREFOX = ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 "
           "Firefox/120.0")


def api_session(client: FlaskClient, email: str) -> dict[str, Any]:
    """Another session of the user, from a Firefox on Ubuntu; its token and id."""
    other = client.application.test_client()
    response = other.post("/v2/authenticate", json={"email": email, "password": PASSWORD},
                          headers={"User-Agent": FIREFOX})
    assert response.status_code == 200
    token = response.json["token"]
    listed = other.get("/v2/users/self/sessions", headers={"Authorization": f"Bearer {token}"})
    mine = [s for s in listed.json if s["device"].get("browser") == "Firefox"]
    return {"token": token, "id": mine[0]["tokenId"],
            "headers": {"Authorization": f"Bearer {token}"}}


def alive(client: FlaskClient, session: dict[str, Any]) -> bool:
    return client.get("/v2/users/self", headers=session["headers"]).status_code == 200


def test_the_list_shows_device_and_place_and_marks_this_session(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    other = api_session(client, facts["email"])
    page = client.get("/account/sessions")
    assert page.status_code == 200
    assert "Firefox on Ubuntu" in page.text
    assert page.text.count('id="this-session"') == 1
    assert f'id="end-{other["id"]}"' in page.text
    assert "<th scope=\"col\">" in page.text
    assert 'id="end-others-link"' in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_ending_one_session_asks_then_ends_it(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    other = api_session(client, facts["email"])
    url = f"/account/sessions/{other['id']}/end"
    unconfirmed = submit(client, url, "end-session-form")
    assert unconfirmed.status_code == 400
    assert field_error(unconfirmed.text, "confirm")
    assert alive(client, other), "nothing is ended without the confirmation"
    done = submit(client, url, "end-session-form", confirm="y")
    assert done.status_code == 303
    assert done.headers["Location"] == "/account/sessions?ended=one"
    assert not alive(client, other)
    assert "The session is ended." in client.get(done.headers["Location"]).text


def test_ending_this_session_signs_out(client: FlaskClient,
                                       register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    mine = client.get("/v2/users/self/sessions").json[0]["tokenId"]
    done = submit(client, f"/account/sessions/{mine}/end", "end-session-form", confirm="y")
    assert done.headers["Location"] == "/account/sign-in"
    assert "x-access-token=;" in done.headers["Set-Cookie"]
    assert client.get("/account/sessions").status_code == 303


def test_ending_all_others_keeps_this_one(client: FlaskClient,
                                          register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    others = [api_session(client, facts["email"]) for _ in range(2)]
    done = submit(client, "/account/sessions/end-others", "end-other-sessions-form",
                  confirm="y")
    assert done.status_code == 303
    assert not any(alive(client, other) for other in others)
    page = client.get(done.headers["Location"])
    assert "All other sessions are ended." in page.text
    assert page.text.count("<tr id=\"session-") == 1


def test_another_users_or_an_unknown_session_is_not_found(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    theirs = register("grace@example.com")
    their_session = api_session(client, theirs["email"])
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    for token_id in (their_session["id"], "not-a-uuid"):
        assert client.get(f"/account/sessions/{token_id}/end").status_code == 404
    form = forms(client.get("/account/sessions/end-others").text)["end-other-sessions-form"]
    refused = client.post(f"/account/sessions/{their_session['id']}/end",
                          data={"csrf_token": form["fields"]["csrf_token"], "confirm": "y"})
    assert refused.status_code == 404
    assert 'role="alert"' in refused.text
    assert alive(client, their_session)


def test_a_post_without_csrf_token_ends_nothing(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    other = api_session(client, facts["email"])
    refused = client.post("/account/sessions/end-others", data={"confirm": "y"})
    assert refused.status_code == 400
    assert alive(client, other)


def test_a_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    for url in ("/account/sessions", "/account/sessions/end-others"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/account/sign-in?next={url}"


def test_the_sessions_page_in_german(app: Flask, client: FlaskClient,
                                     register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/sessions", headers={"Accept-Language": "de"})
    assert "<h1>Sitzungen</h1>" in page.text
    assert "Diese Sitzung" in page.text
    confirm = client.get("/account/sessions/end-others", headers={"Accept-Language": "de"})
    fields = forms(confirm.text)["end-other-sessions-form"]["fields"]
    refused = client.post("/account/sessions/end-others", data=fields,
                          headers={"Accept-Language": "de"})
    assert refused.status_code == 400
    assert field_error(refused.text, "confirm") == "Setzen Sie zur Bestätigung das Häkchen."
    assert "Alle anderen Sitzungen beenden" in refused.text
