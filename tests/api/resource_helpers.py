"""Helpers shared by the tests of the user's resources (SSH keys, settings, phone, avatar)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, Mailbox


def signed_in(client: FlaskClient, mailbox: Mailbox, email: str = "ada@example.com"
              ) -> dict[str, str]:
    """Register and verify ``email`` on ``client``'s app, log in; the auth headers."""
    registered = client.post("/v2/register", json={
        "email": email, "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert registered.status_code == 201, registered.json
    verified = client.post("/v2/verify-registration", json={
        "email": email, "userId": registered.json["userId"],
        "token": mailbox.last_code(email)})
    assert verified.status_code == 200, verified.json
    token = client.post("/v2/authenticate", json={"email": email, "password": PASSWORD})
    return {"x-access-token": token.json["token"]}


def error_items(response: Any) -> list[tuple[str, str]]:
    """``(path, type)`` of each ``validationErrors`` item of a 400."""
    assert response.status_code == 400, (response.status_code, response.json)
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]
