"""Passkeys and bad input (issue 28): each refusal a 400 with a stable type on
``credential``, never a 500, nothing stored; account deletion removes the passkeys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore.models import Credential, Passkey, PasskeyChallenge
from tests.api.passkey_flow import (
    LOGIN,
    ORIGIN,
    PASSKEYS,
    RP_ID,
    login_options,
    register_passkey,
)
from tests.api.passkey_flow import app as app  # the fixture
from tests.api.passkey_flow import holder as holder  # the fixture
from tests.conftest import PASSWORD
from tests.passkey_authenticator import SoftAuthenticator, b64url


def stored(app: Flask) -> tuple[int, ...]:
    """Rows of passkeys and of sessions, and the passkeys' sign counts."""
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        return (session.scalar(select(func.count()).select_from(Passkey)) or 0,
                session.scalar(select(func.count()).select_from(Credential)) or 0,
                *session.scalars(select(Passkey.sign_count).order_by(Passkey.id)))


def refused(response: Any, kind: str) -> None:
    assert response.status_code == 400, response.json
    assert response.json["validationErrors"][0]["type"] == kind, response.json


def stranger() -> tuple[SoftAuthenticator, dict[str, Any]]:
    """An authenticator holding a credential for our RP id that nobody registered."""
    other = SoftAuthenticator(ORIGIN)
    other.create({"rp": {"id": RP_ID}, "user": {"id": b64url(b"x" * 32)},
                  "challenge": b64url(b"c" * 32)})
    return other, {}


def test_malformed_bodies(app: Flask, client: FlaskClient, holder: SoftAuthenticator) -> None:
    before = stored(app)
    raw = client.post(LOGIN, data=b'{"credential": ', content_type="application/json")
    assert raw.status_code == 400
    assert client.post(LOGIN, json={"credential": "text"}).status_code == 400
    assert client.post(LOGIN, json={}).status_code == 400
    refused(client.post(LOGIN, json={"credential": {}}), "PasskeyNotValid")
    refused(client.post(LOGIN, json={"credential": {"id": "!", "rawId": "%%", "type": 1,
                                                    "response": []}}), "PasskeyNotValid")
    assertion = holder.get(login_options(client))
    assertion["response"]["clientDataJSON"] = b64url(b"not json")
    refused(client.post(LOGIN, json={"credential": assertion}), "PasskeyNotValid")
    assertion["response"]["clientDataJSON"] = "***"
    refused(client.post(LOGIN, json={"credential": assertion}), "PasskeyNotValid")
    assert stored(app) == before


def test_foreign_and_replayed_challenges(app: Flask, client: FlaskClient,
                                         user: dict[str, Any],
                                         holder: SoftAuthenticator) -> None:
    before = stored(app)
    made_up = {"rpId": RP_ID, "challenge": b64url(b"m" * 32)}
    refused(client.post(LOGIN, json={"credential": holder.get(made_up)}),
            "PasskeyChallengeNotValid")
    registration = client.post(f"{PASSKEYS}/registration-options",
                               headers=user["headers"]).json["publicKey"]
    foreign = holder.get({"rpId": RP_ID, "challenge": registration["challenge"]})
    refused(client.post(LOGIN, json={"credential": foreign}), "PasskeyChallengeNotValid")
    # the answer of a sign-in given to the registration
    answer = SoftAuthenticator(ORIGIN).create({**registration,
                                               "challenge": login_options(client)["challenge"]})
    refused(client.post(PASSKEYS, headers=user["headers"], json={"credential": answer}),
            "PasskeyChallengeNotValid")
    assert stored(app) == before
    assertion = holder.get(login_options(client))
    assert client.post(LOGIN, json={"credential": assertion}).status_code == 200
    after = stored(app)
    refused(client.post(LOGIN, json={"credential": assertion}), "PasskeyChallengeNotValid")
    assert stored(app) == after


def test_unknown_and_other_users_credentials(app: Flask, client: FlaskClient,
                                             register: Callable[..., dict[str, Any]],
                                             user: dict[str, Any],
                                             holder: SoftAuthenticator) -> None:
    before = stored(app)
    other, _ = stranger()
    refused(client.post(LOGIN, json={"credential": other.get(login_options(client))}),
            "PasskeyUnknown")
    register("grace@example.com")
    options = login_options(client, "grace@example.com")  # the decoy of a user without
    refused(client.post(LOGIN, json={"credential": holder.get(
        {"rpId": RP_ID, "challenge": options["challenge"]})}), "PasskeyUnknown")
    options = login_options(client, "nobody@example.com")
    refused(client.post(LOGIN, json={"credential": holder.get(
        {"rpId": RP_ID, "challenge": options["challenge"]})}), "PasskeyUnknown")
    # a user handle that is not the passkey's
    assertion = holder.get(login_options(client))
    assertion["response"]["userHandle"] = b64url(b"h" * 32)
    refused(client.post(LOGIN, json={"credential": assertion}), "PasskeyUnknown")
    assert stored(app) == before


def test_wrong_origin_and_rp_id(app: Flask, client: FlaskClient, user: dict[str, Any],
                                holder: SoftAuthenticator) -> None:
    before = stored(app)
    refused(client.post(LOGIN, json={"credential": holder.get(
        login_options(client), origin="https://evil.example")}), "PasskeyOriginNotAllowed")
    refused(client.post(LOGIN, json={"credential": holder.get(
        login_options(client), rp_id="evil.example",
        credential_id=next(iter(holder.credentials)))}), "PasskeyNotValid")
    for create in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}):
        response = register_passkey(client, user["headers"], SoftAuthenticator(ORIGIN),
                                    **create)
        refused(response, "PasskeyOriginNotAllowed" if "origin" in create
                else "PasskeyNotValid")
    assert stored(app) == before


def test_passkeys_off_without_a_relying_party(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    response = client.post("/v2/authenticate-passkey/options", json={})
    assert response.status_code == 400
    assert response.json["validationErrors"][0]["type"] == "PasskeysNotConfigured"


def test_account_deletion_removes_the_passkeys(app: Flask, client: FlaskClient,
                                               user: dict[str, Any],
                                               holder: SoftAuthenticator) -> None:
    client.post(f"{PASSKEYS}/registration-options", headers=user["headers"])
    deleted = client.delete("/v2/users/self", headers=user["headers"],
                            json={"password": PASSWORD})
    assert deleted.status_code == 200, deleted.json
    with app.app_context():
        session = app.extensions["usercore"].deps.session
        assert session.scalar(select(func.count()).select_from(Passkey)) == 0
        assert session.scalar(select(func.count()).select_from(PasskeyChallenge)) == 0


def test_the_same_credential_twice(app: Flask, client: FlaskClient,
                                   user: dict[str, Any]) -> None:
    import json

    options = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"]).json
    credential = SoftAuthenticator(ORIGIN).create(options["publicKey"])
    assert client.post(PASSKEYS, headers=user["headers"],
                       json={"credential": credential}).status_code == 201
    again = client.post(f"{PASSKEYS}/registration-options", headers=user["headers"]).json
    # "none" attestation signs nothing: the same credential answers the new challenge
    credential["response"]["clientDataJSON"] = b64url(json.dumps({
        "type": "webauthn.create", "challenge": again["publicKey"]["challenge"],
        "origin": ORIGIN}).encode())
    before = stored(app)
    refused(client.post(PASSKEYS, headers=user["headers"], json={"credential": credential}),
            "PasskeyRegisteredAlready")
    assert stored(app) == before
