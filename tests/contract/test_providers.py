"""Sign-in by provider (issue 29) against a real OpenID provider: a second example_app (our
own authorization server) over a socket, the relying example_app over another, a
``requests`` browser through the provider's login and consent pages (providers_support.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pyotp
import pytest
import requests
from flask import Flask
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from example_app import db
from flask_usercore import signals
from flask_usercore.errors import ProviderRefused
from flask_usercore.models import Credential, CredentialKind, Identity, User
from flask_usercore.services import identities
from tests.conftest import PASSWORD
from tests.contract.providers_support import (
    CALLBACK,
    Provider,
    Swappable,
    add_user,
    empty_tables,
    provider,
    register_client,
    relying_app,
    served,
    through_provider,
)

EMAIL = "grace@provider.example"
START = "/v2/providers/ours/authorize"


@pytest.fixture(scope="module")
def relying() -> Iterator[tuple[Swappable, str]]:
    swap = Swappable()
    with served(swap) as port:
        yield swap, f"http://localhost:{port}"


@pytest.fixture(scope="module")
def ours(relying: tuple[Swappable, str],
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with provider(tmp_path_factory.mktemp("provider"), relying[1] + CALLBACK) as found:
        add_user(found.app, EMAIL)
        yield found


@pytest.fixture
def rp(relying: tuple[Swappable, str], ours: Provider, database_url: str, _schema: None,
       tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(_config: dict[str, Any] | None = None, _as: Provider | None = None,
             **options: Any) -> Flask:
        app = relying_app(database_url, tmp_path, _as or ours, _config or {}, **options)
        relying[0].app = app
        made.append(app)
        return app

    yield make
    for app in made:
        empty_tables(app)


@pytest.fixture
def base(relying: tuple[Swappable, str]) -> str:
    return relying[1]


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _sessions(app: Flask) -> list[Credential]:
    with app.app_context():
        return list(db.session.scalars(select(Credential).where(
            Credential.kind == CredentialKind.SESSION)))


def _recorded(app: Flask, signal: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    signal.connect(receiver, sender=app, weak=False)
    return seen


def test_sign_up_by_provider_then_sign_in_again_and_a_replay_is_refused(
        rp: Callable[..., Flask], ours: Provider, base: str) -> None:
    app = rp(allow_signup=True)
    signed_in = _recorded(app, signals.signed_in_by_provider)
    linked = _recorded(app, signals.identity_linked)
    browser = requests.Session()
    answer = through_provider(browser, base + START, EMAIL)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    me = requests.Session().get(f"{base}/v2/users/self",
                                headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["email"] == EMAIL
    with app.app_context():
        identity = db.session.scalars(select(Identity)).one()
        user = db.session.get_one(User, identity.user_id)
        assert identity.issuer == ours.issuer and identity.provider == "ours"
        assert identity.tokens is None, "the provider's tokens are not kept unless asked"
        assert user.password_hash.startswith("!"), "signed up without a password"
        assert user.email_verified_at is not None
    (session,) = _sessions(app)
    assert session.auth_methods == "fed" and session.authenticated_at is not None
    assert len(signed_in) == 1 and len(linked) == 1

    again = through_provider(requests.Session(), base + START, EMAIL)
    assert again.status_code == 200, again.text
    assert _count(app, User) == 1 and _count(app, Identity) == 1 and len(_sessions(app)) == 2

    replayed = browser.get(answer.url)  # the same callback, state and code again
    assert replayed.status_code == 400, replayed.text
    assert replayed.json()["type"] == "ProviderSignInFailed"
    assert len(_sessions(app)) == 2, "nothing stored"


def test_cookie_only_sets_the_cookie_and_goes_to_the_return_url(
        rp: Callable[..., Flask], base: str) -> None:
    rp(allow_signup=True, _config={"USERCORE_PROVIDER_RETURN_URL": "/me"})
    browser = requests.Session()
    answer = through_provider(browser, f"{base}{START}?cookieOnly=true", EMAIL)
    assert answer.url == f"{base}/me", "sent on to the return URL"
    assert answer.status_code == 200 and answer.json()["email"] == EMAIL, \
        "the host's page sees the session cookie"
    assert "x-access-token" in {cookie.name for cookie in browser.cookies}


def test_sign_up_closed_stores_nothing(rp: Callable[..., Flask], base: str) -> None:
    app = rp()
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 403 and answer.json()["type"] == "ProviderSignUpClosed"
    assert _count(app, User) == 0 and _count(app, Identity) == 0


def test_an_existing_address_is_linked_only_when_the_provider_is_trusted(
        rp: Callable[..., Flask], base: str) -> None:
    app = rp(allow_signup=True)
    user_id, _ = add_user(app, EMAIL)
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 409 and answer.json()["type"] == "IdentityEmailInUse"
    assert _count(app, Identity) == 0 and not _sessions(app)

    trusted = rp(trust_email=True)
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 200, answer.text
    assert _count(trusted, Identity, Identity.user_id == user_id) == 1


def test_mfa_is_still_asked_for(rp: Callable[..., Flask], base: str) -> None:
    app = rp(trust_email=True)
    _, seed = add_user(app, EMAIL, mfa=True)
    browser = requests.Session()
    answer = through_provider(browser, base + START, EMAIL)
    assert answer.status_code == 202 and answer.json()["name"] == "SecondFactorRequired"
    assert not _sessions(app)
    wrong = browser.post(f"{base}/v2/providers/authenticate-mfa",
                         json={"multiFactorCode": "000000"})
    assert wrong.status_code == 400, wrong.text
    assert seed is not None
    done = browser.post(f"{base}/v2/providers/authenticate-mfa",
                        json={"multiFactorCode": pyotp.TOTP(seed).now()})
    assert done.status_code == 200, done.text
    (session,) = _sessions(app)
    assert session.auth_methods == "fed otp mfa"
    again = browser.post(f"{base}/v2/providers/authenticate-mfa",
                         json={"multiFactorCode": pyotp.TOTP(seed).now()})
    assert again.status_code == 408, "the waiting sign-in is used once"


def test_a_disabled_account_is_refused(rp: Callable[..., Flask], base: str) -> None:
    app = rp(trust_email=True)
    add_user(app, EMAIL, disabled=True)
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 401, answer.text
    assert answer.json()["validationErrors"][0]["type"] == "AccountDisabled"
    assert _count(app, Identity) == 0 and not _sessions(app)


def _login(base: str, browser: requests.Session, email: str) -> dict[str, str]:
    answer = browser.post(f"{base}/v2/authenticate", json={"email": email,
                                                          "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_link_list_and_unlink(rp: Callable[..., Flask], base: str) -> None:
    app = rp()
    linked = _recorded(app, signals.identity_linked)
    unlinked = _recorded(app, signals.identity_unlinked)
    add_user(app, "ada@relying.example")
    browser = requests.Session()
    auth = _login(base, browser, "ada@relying.example")
    started = browser.post(f"{base}/v2/users/self/identities/ours", headers=auth, json={})
    assert started.status_code == 200, started.text
    done = through_provider(browser, started.json()["authorizationUrl"], EMAIL)
    assert done.status_code == 204, done.text
    listed = requests.Session().get(f"{base}/v2/users/self/identities", headers=auth)
    assert [each["provider"] for each in listed.json()] == ["ours"]
    assert listed.json()[0]["email"] == EMAIL and len(linked) == 1
    # the linked identity now signs the account in
    assert through_provider(requests.Session(), base + START, EMAIL).status_code == 200
    gone = requests.Session().delete(f"{base}/v2/users/self/identities/ours", headers=auth)
    assert gone.status_code == 204 and len(unlinked) == 1
    assert requests.Session().get(f"{base}/v2/users/self/identities", headers=auth).json() == []
    missing = requests.Session().delete(f"{base}/v2/users/self/identities/ours", headers=auth)
    assert missing.status_code == 404


def test_the_last_way_to_sign_in_is_not_unlinked(rp: Callable[..., Flask], base: str) -> None:
    rp(allow_signup=True)
    token = through_provider(requests.Session(), base + START, EMAIL).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    refused = requests.Session().delete(f"{base}/v2/users/self/identities/ours", headers=auth)
    assert refused.status_code == 409 and refused.json()["type"] == "LastSignInMethod"


def test_bad_input_is_a_clear_error_and_stores_nothing(
        rp: Callable[..., Flask], ours: Provider, base: str) -> None:
    app = rp(allow_signup=True)
    unknown = requests.Session().get(f"{base}/v2/providers/nobody/authorize", allow_redirects=False)
    assert unknown.status_code == 404 and unknown.json()["type"] == "NotFound"
    forged = requests.Session().get(f"{base}{CALLBACK}?code=abc&state=forged")
    assert forged.status_code == 400 and forged.json()["type"] == "ProviderSignInFailed"
    add_user(ours.app, "denies@provider.example")  # no consent given yet
    denied = through_provider(requests.Session(), base + START, "denies@provider.example",
                              decision="deny")
    assert denied.status_code == 400 and "access_denied" in denied.json()["message"]
    assert _count(app, User) == 0 and _count(app, Identity) == 0


def test_an_id_token_with_another_nonce_is_refused(rp: Callable[..., Flask],
                                                   base: str) -> None:
    """The nonce remembered for the flow is changed (as if the ID token were replayed into
    another flow): Authlib's check refuses the ID token."""
    app = rp(allow_signup=True)
    browser = requests.Session()
    first = browser.get(base + START, allow_redirects=False)
    assert first.status_code == 302 and "nonce=" in first.headers["location"]
    assert "code_challenge_method=S256" in first.headers["location"]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie = next(c for c in browser.cookies if c.name == "session")
    data = serializer.loads(cookie.value)
    for key, value in data.items():
        if key.startswith("_state_ours_"):
            value["data"]["nonce"] = "another-nonce"
    browser.cookies.set("session", serializer.dumps(data), domain=cookie.domain,
                        path=cookie.path)
    answer = through_provider(browser, first.headers["location"], EMAIL)
    assert answer.status_code == 400, answer.text
    assert "nonce" in answer.json()["message"]
    assert _count(app, User) == 0 and not _sessions(app)


def test_deleting_the_account_removes_its_links(rp: Callable[..., Flask], base: str) -> None:
    app = rp(trust_email=True)
    add_user(app, EMAIL)
    assert through_provider(requests.Session(), base + START, EMAIL).status_code == 200
    assert _count(app, Identity) == 1
    auth = _login(base, requests.Session(), EMAIL)
    deleted = requests.Session().delete(f"{base}/v2/users/self", headers=auth,
                                        json={"password": PASSWORD})
    assert deleted.status_code == 200, deleted.text
    assert _count(app, Identity) == 0 and _count(app, User) == 0


def test_a_browser_flow_is_sent_to_the_return_url_with_the_outcome(
        rp: Callable[..., Flask], base: str) -> None:
    app = rp(_config={"USERCORE_PROVIDER_RETURN_URL": "/me?from=provider"})
    refused = through_provider(requests.Session(), f"{base}{START}?cookieOnly=true", EMAIL)
    assert refused.url == f"{base}/me?from=provider&error=ProviderSignUpClosed"
    assert _count(app, User) == 0
    trusted = rp(trust_email=True, _config={"USERCORE_PROVIDER_RETURN_URL": "/me"})
    _, seed = add_user(trusted, EMAIL, mfa=True)
    browser = requests.Session()
    waiting = through_provider(browser, f"{base}{START}?cookieOnly=true", EMAIL)
    assert waiting.url == f"{base}/me?mfa=required" and waiting.status_code == 401
    assert seed is not None
    done = browser.post(f"{base}/v2/providers/authenticate-mfa",
                        json={"multiFactorCode": pyotp.TOTP(seed).now()},
                        allow_redirects=False)
    assert done.status_code == 302 and done.headers["location"] == "/me"
    assert "x-access-token" in {cookie.name for cookie in browser.cookies}


def test_the_providers_tokens_are_kept_encrypted_when_asked(
        rp: Callable[..., Flask], base: str) -> None:
    app = rp(allow_signup=True, keep_tokens=True)
    assert through_provider(requests.Session(), base + START, EMAIL).status_code == 200
    with app.app_context():
        identity = db.session.scalars(select(Identity)).one()
        assert identity.tokens is not None and "access_token" not in identity.tokens
        kept = identities.stored_tokens(app.extensions["usercore"].deps, identity)
    assert kept is not None and {"access_token", "id_token"} <= set(kept)


def test_an_id_token_that_the_published_key_did_not_sign_is_refused(
        rp: Callable[..., Flask], base: str) -> None:
    """The relying app's copy of the provider's JWKS (Authlib keeps it after the first
    sign-in) is swapped for another key under the same ``kid``: the provider's next, real ID
    token fails the signature check."""
    app = rp(allow_signup=True)
    assert through_provider(requests.Session(), base + START, EMAIL).status_code == 200
    client = app.extensions["usercore.providers"].create_client("ours")
    published = client.server_metadata["jwks"]["keys"][0]
    other = RSAKey.generate_key(2048).as_dict(private=False)
    client.server_metadata["jwks"] = {"keys": [{**published, "n": other["n"],
                                                "e": other["e"]}]}
    before = len(_sessions(app))
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 400, answer.text
    assert answer.json()["type"] == "ProviderSignInFailed" and "signature" in \
        answer.json()["message"]
    assert len(_sessions(app)) == before, "nothing stored"


def _id_token_claims(id_token: str) -> dict[str, Any]:
    """The claims of a compact JWT, unchecked (only to read what the provider put there)."""
    payload = id_token.split(".")[1]
    return cast(dict[str, Any], json.loads(base64.urlsafe_b64decode(payload + "=" * (
        -len(payload) % 4))))


def test_an_id_token_for_another_client_is_refused(
        rp: Callable[..., Flask], ours: Provider, base: str) -> None:
    """A real ID token that the provider issued to client A (a sign-in kept with
    ``keep_tokens``), checked as the callback checks it by the relying app configured as
    client B, also registered at the provider: a 400 ``ProviderSignInFailed`` for its
    ``aud``; the same token passes for client A. (A correct provider never gives client B
    a token for A at its token endpoint, so the check is run on the kept token.)"""
    from flask_usercore.web import providers as view

    first = rp(allow_signup=True, keep_tokens=True)
    assert through_provider(requests.Session(), base + START, EMAIL).status_code == 200
    with first.app_context():
        identity = db.session.scalars(select(Identity)).one()
        kept = identities.stored_tokens(first.extensions["usercore"].deps, identity)
    assert kept is not None
    token = {key: kept[key] for key in ("access_token", "id_token")}
    nonce = _id_token_claims(cast(str, token["id_token"]))["nonce"]

    def check(app: Flask) -> Any:
        with app.test_request_context():
            settings = app.extensions["usercore"].deps.config.providers["ours"]
            with view.refusals(settings):
                client = view.client(settings)
                return client.parse_id_token(token, nonce=nonce,
                                             claims_options=view.id_token_checks(client))

    assert check(first)["aud"] == [ours.client_id], "a valid ID token for client A"
    b_id, b_secret = register_client(ours.app, base + CALLBACK, name="Client B")
    second = rp(allow_signup=True, _as=replace(ours, client_id=b_id, client_secret=b_secret))
    users = _count(second, User)
    with pytest.raises(ProviderRefused) as refused:
        check(second)
    assert refused.value.status == 400 and refused.value.type == "ProviderSignInFailed"
    assert "'aud'" in str(refused.value), "refused for its audience (not only azp)"

    # the same claims with ``azp`` naming client B, signed with the provider's own key:
    # Authlib's checks alone (azp) let it through; the audience check refuses it
    from flask_usercore.oauth2.parts import oauth2_parts

    with ours.app.app_context():
        key = oauth2_parts().signing_key
    assert key is not None
    claims = {**_id_token_claims(cast(str, token["id_token"])), "azp": b_id}
    token = {**token, "id_token": jwt.encode({"alg": key.alg, "typ": "JWT"}, claims,
                                             key.key_set)}
    with second.test_request_context():
        client = view.client(second.extensions["usercore"].deps.config.providers["ours"])
        assert client.parse_id_token(token, nonce=nonce)["aud"] == [ours.client_id], \
            "Authlib's own checks let it through"
    with pytest.raises(ProviderRefused) as refused:
        check(second)
    assert refused.value.status == 400 and "'aud'" in str(refused.value)
    assert _count(second, User) == users and _count(second, Identity) == 1, "nothing stored"


def test_the_providers_are_listed_without_their_secrets(rp: Callable[..., Flask],
                                                        base: str) -> None:
    rp()
    listed = requests.Session().get(f"{base}/v2/providers")
    assert listed.status_code == 200 and listed.json() == [{"name": "ours",
                                                            "title": "Our provider"}]
    document = requests.Session().get(f"{base}/v2/openapi.json").json()
    assert {"/v2/providers/{provider}/authorize", "/v2/providers/{provider}/callback",
            "/v2/users/self/identities/{provider}"} <= set(document["paths"])
    link = document["paths"]["/v2/users/self/identities/{provider}"]["post"]
    assert link["x-usercore-recent-authentication"] is True


def test_a_flow_left_for_more_than_an_hour_is_refused(
        rp: Callable[..., Flask], base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_usercore.web import providers as view

    app = rp(allow_signup=True)
    monkeypatch.setattr(view, "FLOW_TTL", -1)  # started flows are expired at once
    answer = through_provider(requests.Session(), base + START, EMAIL)
    assert answer.status_code == 400 and answer.json()["type"] == "ProviderSignInFailed"
    assert _count(app, User) == 0
