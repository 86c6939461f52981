"""``GET /v2/oauth2/authorize``: mittwald's parameters, consent, and the errors of RFC 6749
4.1.2.1 (a redirect once the client and redirect URI are known, else a 400)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.api.oauth2_support import (
    REDIRECT_URI,
    authorize_params,
    code_for,
    new_client,
    pkce,
    query_of,
)


def test_grant_consent_with_a_header_token_redirects_with_code_and_the_same_state(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                          authorize_params(client_id, grant_consent="true",
                                           state="a b/c?d", grant_type="authorization_code"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    query = query_of(response.headers["Location"])
    assert query["state"] == "a b/c?d" and len(query["code"]) >= 32


def test_a_given_consent_is_remembered_for_the_cookie_alone(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    code_for(client, client_id, user["headers"])
    client.set_cookie("x-access-token", user["token"])
    response = client.get("/v2/oauth2/authorize", query_string=authorize_params(client_id))
    assert response.status_code == 302
    assert "code" in query_of(response.headers["Location"])


def test_grant_consent_with_the_cookie_alone_shows_the_consent_page(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    """A cookie goes with any cross-site navigation: it never grants consent by itself."""
    client_id, _ = new_client(app)
    client.set_cookie("x-access-token", user["token"])
    response = client.get("/v2/oauth2/authorize",
                          query_string=authorize_params(client_id, grant_consent="true"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/v2/oauth2/consent?")
    assert "grant_consent" not in response.headers["Location"]


def test_without_a_login_the_browser_goes_to_the_login_page(
        app: Flask, client: FlaskClient) -> None:
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", query_string=authorize_params(client_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/v2/oauth2/login?")
    assert query_of(response.headers["Location"])["client_id"] == client_id


def test_an_invalid_header_token_is_a_401_not_a_login_page(
        app: Flask, client: FlaskClient) -> None:
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers={"x-access-token": "nope"},
                          query_string=authorize_params(client_id))
    assert response.status_code == 401 and response.json["type"] == "Unauthorized"


def test_grant_consent_false_redirects_with_access_denied(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params(client_id, grant_consent="false"))
    query = query_of(response.headers["Location"])
    assert response.status_code == 302
    assert query["error"] == "access_denied" and query["state"] == "st-123"


def test_an_unknown_client_is_a_400_and_never_a_redirect(
        client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params("nobody", grant_consent="true"))
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.json["error"] == "invalid_request"


def test_a_redirect_uri_not_registered_is_a_400_and_never_a_redirect(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    for uri in ("https://evil.example/cb", REDIRECT_URI + "/more", REDIRECT_URI + "?x=1"):
        response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                              query_string=authorize_params(client_id, redirect_uri=uri,
                                                            grant_consent="true"))
        assert response.status_code == 400 and "Location" not in response.headers, uri
        assert response.json["error"] == "invalid_request"


def test_an_unknown_scope_redirects_with_invalid_scope(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params(client_id, scope="admin",
                                                        grant_consent="true"))
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"


def test_a_scope_the_client_was_not_given_redirects_with_invalid_scope(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, scopes=("profile",))
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params(client_id, scope="profile email",
                                                        grant_consent="true"))
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"


def test_pkce_is_s256_only(app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    verifier, _ = pkce()
    for method in ("plain", None):
        response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                              authorize_params(client_id, grant_consent="true",
                                               code_challenge=verifier,
                                               code_challenge_method=method))
        query = query_of(response.headers["Location"])
        assert query["error"] == "invalid_request", method
        assert "code" not in query


def test_a_public_client_must_use_pkce(app: Flask, client: FlaskClient,
                                       user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, public=True)
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params(client_id, grant_consent="true"))
    assert query_of(response.headers["Location"])["error"] == "invalid_request"
    _, challenge = pkce()
    assert code_for(client, client_id, user["headers"], challenge)


def test_a_bad_grant_consent_or_grant_type_redirects_with_invalid_request(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    for extra in ({"grant_consent": "yes"}, {"grant_type": "password"}):
        response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                              query_string=authorize_params(client_id, **extra))
        assert query_of(response.headers["Location"])["error"] == "invalid_request", extra


def test_a_client_without_the_code_grant_may_not_ask_for_codes(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, grant_types=("password",))
    response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                          query_string=authorize_params(client_id, grant_consent="true"))
    assert query_of(response.headers["Location"])["error"] == "unauthorized_client"


def test_an_api_token_is_not_a_resource_owner(app: Flask, client: FlaskClient,
                                              user: dict[str, Any]) -> None:
    created = client.post("/v2/users/self/api-tokens", headers=user["headers"],
                          json={"description": "ci", "roles": ["api_read", "api_write"]})
    assert created.status_code == 201, created.json
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers=bearer_of(created.json["token"]),
                          query_string=authorize_params(client_id, grant_consent="true"))
    assert response.status_code == 403  # a valid credential, but only a login may consent
    assert response.json["type"] == "Forbidden"
    unknown = client.get("/v2/oauth2/authorize", headers=bearer_of("not-a-token"),
                         query_string=authorize_params(client_id, grant_consent="true"))
    assert unknown.status_code == 401


def bearer_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
