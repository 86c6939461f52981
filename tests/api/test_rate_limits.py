"""Rate limits on login and registration: the 429 body of the wire rules with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.conftest import PASSWORD


def test_login_is_limited_per_client_address(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_RATELIMIT_AUTH": "3/minute"})
    client = app.test_client()
    body = {"email": "nobody@example.com", "password": PASSWORD}
    statuses = [client.post("/v2/authenticate", json=body).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = client.post("/v2/authenticate", json=body)
    assert limited.status_code == 429
    assert limited.json == {"type": "RateLimitError", "message": "too many requests", "code": 429}
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    other_address = client.post("/v2/authenticate", json=body,
                                environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_address.status_code == 401


def test_groups_count_separately_and_empty_limit_disables(
        make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_RATELIMIT_AUTH": "1/minute"})
    client = app.test_client()
    assert client.post("/v2/authenticate", json={}).status_code == 400
    assert client.post("/v2/authenticate", json={}).status_code == 429
    assert client.post("/v2/register", json={}).status_code == 400
    assert client.post("/v2/register", json={}).status_code == 429
    unlimited = make_app({"USERCORE_RATELIMIT_AUTH": ""}).test_client()
    assert {unlimited.post("/v2/authenticate", json={}).status_code for _ in range(5)} == {400}
