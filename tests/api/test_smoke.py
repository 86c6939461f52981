from typing import Any

from flask.testing import FlaskClient


def test_register_verify_login_and_read_profile(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get("/v2/users/self", headers=user["headers"])
    assert response.status_code == 200
    assert response.json["userId"] == user["userId"]
    assert response.json["email"] == user["email"]
    assert response.json["emailVerified"] is True
