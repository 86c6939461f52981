"""Revocation (RFC 7009), introspection (RFC 7662), the authorized apps (consents) and the
CLI that registers clients."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.api.oauth2_support import (
    REDIRECT_URI,
    bearer,
    code_for,
    exchange,
    new_client,
    pkce,
)


def _tokens(app: Flask, client: FlaskClient, user: dict[str, Any],
            **options: Any) -> tuple[str, str | None, dict[str, Any]]:
    client_id, secret = new_client(app, **options)
    verifier, challenge = pkce()
    body = exchange(client, client_id, secret,
                    code_for(client, client_id, user["headers"], challenge), verifier).json
    return client_id, secret, body


def test_revoking_the_access_token_ends_it_at_once(app: Flask, client: FlaskClient,
                                                   user: dict[str, Any]) -> None:
    client_id, secret, body = _tokens(app, client, user)
    response = client.post("/v2/oauth2/revoke", auth=(client_id, secret),
                           data={"token": body["access_token"]})
    assert response.status_code == 200
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 401
    refreshed = client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert refreshed.json["error"] == "invalid_grant"


def test_a_client_cannot_revoke_another_clients_token(app: Flask, client: FlaskClient,
                                                      user: dict[str, Any]) -> None:
    _, _, body = _tokens(app, client, user)
    other_id, other_secret = new_client(app)
    response = client.post("/v2/oauth2/revoke", auth=(other_id, other_secret),
                           data={"token": body["refresh_token"],
                                 "token_type_hint": "refresh_token"})
    assert response.json["error"] == "invalid_grant"
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 200


def test_introspection_tells_active_tokens_from_revoked_ones(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret, body = _tokens(app, client, user)
    seen = client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                       data={"token": body["access_token"]}).json
    assert seen["active"] is True and seen["sub"] == user["userId"]
    assert seen["client_id"] == client_id and seen["scope"] == "profile"
    assert seen["exp"] > seen["iat"]
    refresh = client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                          data={"token": body["refresh_token"]}).json
    assert refresh["active"] is True and refresh["exp"] > seen["exp"]
    client.post("/v2/oauth2/revoke", auth=(client_id, secret),
                data={"token": body["access_token"]})
    gone = client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                       data={"token": body["access_token"]})
    assert gone.json == {"active": False}
    assert client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                       data={"token": user["token"]}).json == {"active": False}, \
        "a session token is not an OAuth2 token"


def test_a_public_client_may_not_introspect(app: Flask, client: FlaskClient) -> None:
    client_id, _ = new_client(app, public=True)
    response = client.post("/v2/oauth2/introspect", data={"client_id": client_id,
                                                          "token": "x"})
    assert response.json["error"] == "invalid_client"


def test_consents_are_listed_and_withdrawing_one_revokes_its_tokens(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _, body = _tokens(app, client, user, name="Photo Printer")
    listed = client.get("/v2/users/self/oauth2/consents", headers=user["headers"])
    assert listed.status_code == 200
    assert [(a["clientId"], a["clientName"], a["scopes"]) for a in listed.json] == \
        [(client_id, "Photo Printer", ["profile"])]
    withdrawn = client.delete(f"/v2/users/self/oauth2/consents/{client_id}",
                              headers=user["headers"])
    assert withdrawn.status_code == 204
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 401
    assert client.get("/v2/users/self/oauth2/consents", headers=user["headers"]).json == []
    again = client.delete(f"/v2/users/self/oauth2/consents/{client_id}",
                          headers=user["headers"])
    assert again.status_code == 404


def test_an_oauth2_token_may_not_manage_consents(app: Flask, client: FlaskClient,
                                                user: dict[str, Any]) -> None:
    _, _, body = _tokens(app, client, user)
    response = client.get("/v2/users/self/oauth2/consents",
                          headers=bearer(body["access_token"]))
    assert response.status_code == 403


def test_the_cli_registers_lists_and_deletes_clients(app: Flask, client: FlaskClient,
                                                     user: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["usercore", "create-oauth-client", "--name", "CLI App",
                                  "--redirect-uri", REDIRECT_URI, "--scope", "profile",
                                  "--grant", "authorization_code", "--grant",
                                  "refresh_token", "--json"])
    assert created.exit_code == 0, created.output
    facts = json.loads(created.output)
    assert set(facts) == {"client_id", "client_secret", "redirect_uri"}
    assert facts["redirect_uri"] == REDIRECT_URI and len(facts["client_secret"]) >= 43
    public = runner.invoke(args=["usercore", "create-oauth-client", "--name", "SPA",
                                 "--redirect-uri", REDIRECT_URI, "--public", "--json"])
    assert json.loads(public.output)["client_secret"] is None
    listed = json.loads(runner.invoke(args=["usercore", "list-oauth-clients", "--json"]).output)
    assert [(c["name"], c["public"]) for c in listed] == [("CLI App", False), ("SPA", True)]
    assert "client_secret" not in listed[0] and facts["client_secret"] not in str(listed)
    verifier, challenge = pkce()
    body = exchange(client, facts["client_id"], facts["client_secret"],
                    code_for(client, facts["client_id"], user["headers"], challenge),
                    verifier).json
    deleted = runner.invoke(args=["usercore", "delete-oauth-client", facts["client_id"]])
    assert deleted.exit_code == 0
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 401
    missing = runner.invoke(args=["usercore", "delete-oauth-client", facts["client_id"]])
    assert missing.exit_code != 0


def test_the_cli_refuses_bad_redirect_uris(app: Flask) -> None:
    runner = app.test_cli_runner()
    for uri in ("http://example.com/cb", "https://x.example/cb#frag", "/relative",
                "javascript:alert(1)"):
        result = runner.invoke(args=["usercore", "create-oauth-client", "--name", "Bad",
                                     "--redirect-uri", uri])
        assert result.exit_code != 0 and "redirectUris[0]" in result.output, uri
    ok = runner.invoke(args=["usercore", "create-oauth-client", "--name", "Native",
                             "--redirect-uri", "com.example.app:/callback", "--public"])
    assert ok.exit_code == 0, ok.output


def test_a_client_id_never_starts_with_a_dash() -> None:
    """The CLI takes the id as an argument: one that starts with "-" would read as an
    option (this failed about once in 40 runs)."""
    from flask_usercore.oauth2.clients import new_client_id

    assert not any(new_client_id().startswith("-") for _ in range(2000))


def test_the_cli_deletes_an_older_client_whose_id_starts_with_a_dash(app: Flask) -> None:
    """Ids made before ``new_client_id`` may start with "-" (1 in 64): the command read
    them as options ("No such option")."""
    from flask_usercore.models import OAuth2Client
    from flask_usercore.services.context import commit

    ids = ("-legacy-one", "-legacy-two", "--legacy-three")
    with app.app_context():
        deps = app.extensions["usercore"].deps
        for client_id in ids:
            deps.session.add(OAuth2Client(client_id=client_id, name="Old", scopes="profile",
                                          redirect_uris="https://old.example/cb",
                                          grant_types="authorization_code"))
        commit(deps.session)
    runner = app.test_cli_runner()
    for args in (["--", ids[0]], [ids[1]], [ids[2]]):
        result = runner.invoke(args=["usercore", "delete-oauth-client", *args])
        assert result.exit_code == 0, result.output
        assert result.output == f"deleted {args[-1]}\n"
    listed = runner.invoke(args=["usercore", "list-oauth-clients", "--json"]).output
    assert json.loads(listed) == []
    assert "Usage:" in runner.invoke(args=["usercore", "delete-oauth-client", "--help"]).output


def test_an_unknown_token_type_hint_is_a_400(app: Flask, client: FlaskClient,
                                             user: dict[str, Any]) -> None:
    """RFC 7009 2.2.1's ``unsupported_token_type`` with RFC 6749 5.2's 400 (it was a 401)."""
    client_id, secret, body = _tokens(app, client, user)
    for endpoint in ("revoke", "introspect"):
        response = client.post(f"/v2/oauth2/{endpoint}", auth=(client_id, secret),
                               data={"token": body["access_token"], "token_type_hint": "foo"})
        assert response.status_code == 400, endpoint
        assert response.json["error"] == "unsupported_token_type"
        assert "WWW-Authenticate" not in response.headers
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 200
    for hint in ("access_token", "refresh_token"):
        seen = client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                           data={"token": body[hint], "token_type_hint": hint})
        assert seen.json["active"] is True, hint


def test_a_wrong_token_type_hint_still_finds_the_token(app: Flask, client: FlaskClient,
                                                       user: dict[str, Any]) -> None:
    """RFC 7009 2.1 and RFC 7662 2.1: a hint naming the other type only says where to look
    first (revocation answered 200 and left the token alive; introspection said inactive)."""
    client_id, secret, body = _tokens(app, client, user)
    for given, other in (("access_token", "refresh_token"), ("refresh_token", "access_token")):
        seen = client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                           data={"token": body[given], "token_type_hint": other}).json
        assert seen["active"] is True, given
        assert seen["exp"] == client.post("/v2/oauth2/introspect", auth=(client_id, secret),
                                          data={"token": body[given]}).json["exp"]
    revoked = client.post("/v2/oauth2/revoke", auth=(client_id, secret),
                          data={"token": body["access_token"],
                                "token_type_hint": "refresh_token"})
    assert revoked.status_code == 200
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 401
    client_id, secret, second = _tokens(app, client, user)
    assert client.post("/v2/oauth2/revoke", auth=(client_id, secret),
                       data={"token": second["refresh_token"],
                             "token_type_hint": "access_token"}).status_code == 200
    assert client.post("/v2/oauth2/token", auth=(client_id, secret), data={
        "grant_type": "refresh_token",
        "refresh_token": second["refresh_token"]}).json["error"] == "invalid_grant"


def test_wrong_client_credentials_at_revocation_and_introspection_are_a_401(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    """RFC 6749 5.2: 401 ``invalid_client`` with ``WWW-Authenticate`` (it was mittwald's 400,
    which stays on mittwald's token endpoint only)."""
    client_id, _, body = _tokens(app, client, user)
    attempts: list[dict[str, Any]] = [
        {"auth": (client_id, "wrong")}, {"auth": ("nobody", "wrong")},
        {"data": {"client_id": client_id, "client_secret": "wrong"}},
        {"data": {"client_id": "nobody", "client_secret": "wrong"}}]
    for endpoint in ("revoke", "introspect"):
        for attempt in attempts:
            data = {"token": body["access_token"], **attempt.get("data", {})}
            response = client.post(f"/v2/oauth2/{endpoint}", data=data,
                                   auth=attempt.get("auth"))
            assert response.status_code == 401, (endpoint, attempt)
            assert response.json["error"] == "invalid_client"
            assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert client.get("/v2/users/self", headers=bearer(body["access_token"])).status_code == 200
    token = client.post("/v2/oauth2/token", auth=(client_id, "wrong"),
                        data={"grant_type": "refresh_token",
                              "refresh_token": body["refresh_token"]})
    assert token.status_code == 400 and token.json["error"] == "invalid_client"
