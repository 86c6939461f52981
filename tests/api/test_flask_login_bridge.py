"""The Flask-Login bridge (``usercore.init_login_manager``): one answer to a missing login.

An API request that ``login_required`` refuses gets the JSON 401 (or 403) of
``@auth_required``; a browser's page gets what the host chose (its unauthorized handler,
its login view, or Flask-Login's 401), whether the host chose before or after the bridge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, Request, jsonify, redirect
from werkzeug.test import EnvironBuilder

import flask_usercore
from flask_usercore.auth import is_api_request
from tests.api.test_host_routes_auth import oauth2_token

flask_login = pytest.importorskip("flask_login")

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def manager(app: Flask) -> Any:
    """A host with Flask-Login, the bridge, a protected view and a login page."""
    login_manager = flask_login.LoginManager(app)
    app.extensions["usercore"].core.init_login_manager(login_manager)

    @app.get("/reports")
    @flask_login.login_required
    def reports() -> Any:
        # the two current_user proxies agree inside a Flask-Login view
        assert flask_usercore.current_user.id == flask_login.current_user.user.id
        return jsonify(id=flask_login.current_user.get_id(),
                       email=flask_login.current_user.email)

    @app.get("/login")
    def login_page() -> Any:
        return "<form>...</form>"

    return login_manager


@pytest.fixture
def unauthorized_signals(app: Flask) -> Iterator[list[Any]]:
    sent: list[Any] = []

    def receive(sender: Any, **extra: Any) -> None:
        sent.append(sender)

    flask_login.user_unauthorized.connect(receive, app)
    yield sent
    flask_login.user_unauthorized.disconnect(receive, app)


def test_a_token_logs_in(manager: Any, client: Any, user: dict[str, Any]) -> None:
    response = client.get("/reports", headers=user["headers"])
    assert response.status_code == 200
    assert response.json == {"id": user["userId"], "email": user["email"]}


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/json"}, {"Accept": "*/*"},
                                     {"X-Requested-With": "XMLHttpRequest", **BROWSER}])
def test_an_api_request_without_a_login_gets_the_json_401(
        manager: Any, client: Any, headers: dict[str, str],
        unauthorized_signals: list[Any]) -> None:
    manager.login_view = "login_page"  # for pages only
    response = client.get("/reports", headers=headers)
    assert response.status_code == 401
    assert response.json == {"type": "Unauthorized", "code": 401,
                             "message": "a valid access token is required"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(unauthorized_signals) == 1


def test_a_wrong_token_is_named_in_the_401(manager: Any, client: Any) -> None:
    manager.login_view = "login_page"
    response = client.get("/reports", headers={"x-access-token": "nope", **BROWSER})
    assert response.status_code == 401
    assert response.json["message"] == "the access token is invalid or expired"


def test_a_token_of_another_kind_is_the_403_of_auth_required(
        app: Flask, manager: Any, client: Any, user: dict[str, Any]) -> None:
    token = oauth2_token(app, user["userId"], "profile")
    response = client.get("/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json["type"] == "Forbidden"


def test_a_page_is_sent_to_the_login_view(manager: Any, client: Any,
                                          unauthorized_signals: list[Any]) -> None:
    manager.login_view = "login_page"
    response = client.get("/reports", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert len(unauthorized_signals) == 1


def test_a_page_without_a_login_view_gets_flask_logins_401(manager: Any,
                                                           client: Any) -> None:
    response = client.get("/reports", headers=BROWSER)
    assert response.status_code == 401
    assert response.mimetype == "text/html"  # the host's error page, not our JSON


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_hosts_unauthorized_handler_answers_pages(
        make_app: Callable[..., Flask], when: str, user: dict[str, Any]) -> None:
    host = make_app()
    login_manager = flask_login.LoginManager(host)

    def handler() -> Any:
        return redirect("/sign-in")

    if when == "before":
        login_manager.unauthorized_handler(handler)
    host.extensions["usercore"].core.init_login_manager(login_manager)
    if when == "after":
        login_manager.unauthorized_handler(handler)

    @host.get("/reports")
    @flask_login.login_required
    def reports() -> Any:
        return jsonify(email=flask_login.current_user.email)

    client = host.test_client()
    assert client.get("/reports", headers=BROWSER).headers["Location"] == "/sign-in"
    assert client.get("/reports").status_code == 401
    assert client.get("/reports", headers=user["headers"]).json == {"email": user["email"]}


def test_the_host_decides_what_an_api_request_is(make_app: Callable[..., Flask]) -> None:
    host = make_app()
    login_manager = flask_login.LoginManager(host)
    login_manager.login_view = "sign_in"
    host.extensions["usercore"].core.init_login_manager(
        login_manager, api_request=lambda req: req.path.startswith("/api/"))

    @host.get("/sign-in")
    def sign_in() -> Any:
        return "sign in"

    @host.get("/api/data")
    @host.get("/page")
    @flask_login.login_required
    def protected() -> Any:
        return "secret"

    client = host.test_client()
    assert client.get("/api/data", headers=BROWSER).status_code == 401
    assert client.get("/page").status_code == 302


def test_the_bridge_twice_keeps_the_hosts_choice(manager: Any, app: Flask,
                                                 client: Any) -> None:
    first = manager.unauthorized
    app.extensions["usercore"].core.init_login_manager(manager)
    assert manager.unauthorized.usercore_hosts_choice is first.usercore_hosts_choice
    manager.login_view = "login_page"
    assert client.get("/reports", headers=BROWSER).status_code == 302


def _request(headers: dict[str, str], **kwargs: Any) -> Request:
    return Request(EnvironBuilder(path="/x", headers=headers, **kwargs).get_environ())


@pytest.mark.parametrize(("headers", "body", "expected"), [
    (BROWSER, None, False),
    ({"Accept": "text/html"}, None, False),
    ({"Accept": "application/xhtml+xml"}, None, False),
    ({"Accept": "text/html;q=0.5, application/json"}, None, True),
    ({"Accept": "application/json, text/html"}, None, False),  # equal: a page
    ({"Accept": "text/html;q=0"}, None, True),
    ({}, None, True),
    ({"Accept": "*/*"}, None, True),
    ({"Accept": "application/problem+json"}, None, True),
    ({**BROWSER, "x-access-token": "t"}, None, True),
    ({**BROWSER, "Authorization": "Bearer t"}, None, True),
    ({**BROWSER, "Authorization": "Basic dTpw"}, None, False),
    ({**BROWSER, "X-Requested-With": "XMLHttpRequest"}, None, True),
    (BROWSER, {"a": 1}, True),
])
def test_is_api_request(headers: dict[str, str], body: Any, expected: bool) -> None:
    request = _request(headers, json=body) if body is not None else _request(headers)
    assert is_api_request(request) is expected
