"""What guards every URL under our prefix: security headers and the body-size limit."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v2/users/self"),       # 401
    ("GET", "/v2/openapi.json"),     # 200
    ("GET", "/v2/nope"),             # routing 404
    ("DELETE", "/v2/register"),      # routing 405
    ("POST", "/v2/authenticate"),    # 400
])
def test_every_answer_under_the_prefix_is_no_store_and_nosniff(client: FlaskClient,
                                                                method: str, path: str) -> None:
    response = client.open(path, method=method, json={})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_login_answer_is_not_cached(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.post("/v2/authenticate",
                           json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_host_routes_keep_their_own_headers(app: Flask) -> None:
    @app.get("/hello")
    def hello() -> str:
        return "hello"

    response = app.test_client().get("/hello")
    assert "Cache-Control" not in response.headers
    assert "X-Content-Type-Options" not in response.headers


def test_a_body_over_the_limit_is_a_413_before_it_is_read(
        make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app({"USERCORE_MAX_BODY_BYTES": 1024})
    read: list[bool] = []
    from flask import Request

    original = Request.get_data
    monkeypatch.setattr(Request, "get_data",
                        lambda self, *a, **k: read.append(True) or original(self, *a, **k))
    response = app.test_client().post("/v2/authenticate", data=b"x" * 2048,
                                      content_type="application/json")
    assert response.status_code == 413
    assert response.json == {"type": "PayloadTooLarge", "code": 413,
                             "message": response.json["message"]}
    assert read == []  # refused on its Content-Length


def test_a_chunked_body_over_the_limit_is_a_413(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_MAX_BODY_BYTES": 1024})

    # no Content-Length: the server learns the size only by reading (a chunked upload)
    response = app.test_client().post(
        "/v2/authenticate", input_stream=io.BytesIO(b'{"email": "' + b"a" * 8000 + b'"}'),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": None,
                           "HTTP_TRANSFER_ENCODING": "chunked"})
    assert response.status_code == 413
    assert response.json["type"] == "PayloadTooLarge"


def test_a_body_within_the_limit_is_read(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_MAX_BODY_BYTES": 1024})
    response = app.test_client().post("/v2/authenticate",
                                      json={"email": "a@example.com", "password": "x" * 900})
    assert response.status_code == 401
