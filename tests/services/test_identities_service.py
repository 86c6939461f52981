"""services/identities.py directly: the account rules that the socket tests
(tests/contract/test_providers.py) cannot reach with our own provider (its ID tokens carry no
``amr``), the tokens kept encrypted, and the conflicts of a link."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import select

from flask_usercore.commands.identities import ProviderProfile
from flask_usercore.errors import ProviderRefused
from flask_usercore.models import Identity, MfaSecret, Passkey, User, utcnow
from flask_usercore.security.providers import provider_settings
from flask_usercore.services import identities
from flask_usercore.services.authentication import IssuedSession, SecondFactorChallenge
from flask_usercore.services.context import ClientInfo, Deps, commit

SETTINGS = provider_settings("sso", {"issuer": "https://sso.example.com", "client_id": "c",
                                     "client_secret": "s", "trust_email": True})
PROFILE = ProviderProfile(provider="sso", issuer="https://sso.example.com", subject="42",
                          email="ada@example.com", email_verified=True)
CLIENT = ClientInfo("127.0.0.1", "pytest")


def _with_mfa(deps: Deps, user: User) -> None:
    deps.session.add(MfaSecret(user_id=user.id, secret_encrypted=deps.box.encrypt("A" * 32),
                               confirmed_at=utcnow()))
    commit(deps.session)
    deps.session.expire_all()


def test_the_providers_mfa_counts_only_when_the_host_says_so(
        deps: Deps, make_user: Callable[..., User]) -> None:
    _with_mfa(deps, make_user())
    with_mfa = replace(PROFILE, provider_mfa=True)
    assert isinstance(identities.sign_in(deps, SETTINGS, with_mfa, CLIENT),
                      SecondFactorChallenge)
    deps.session.rollback()
    counted = replace(SETTINGS, mfa_counts=True)
    assert isinstance(identities.sign_in(deps, counted, PROFILE, CLIENT),
                      SecondFactorChallenge), "no MFA at the provider: ours is asked for"
    deps.session.rollback()
    issued = identities.sign_in(deps, counted, with_mfa, CLIENT)
    assert isinstance(issued, IssuedSession)
    assert issued.credential.auth_methods == "fed mfa"


def test_tokens_are_kept_only_when_asked_and_encrypted(
        deps: Deps, make_user: Callable[..., User]) -> None:
    make_user()
    tokens = json.dumps({"access_token": "at-secret", "refresh_token": "rt-secret"})
    identities.sign_in(deps, replace(SETTINGS, keep_tokens=True),
                       replace(PROFILE, tokens=tokens), CLIENT)
    commit(deps.session)
    identity = deps.session.scalars(select(Identity)).one()
    assert identity.tokens is not None and "at-secret" not in identity.tokens
    assert identities.stored_tokens(deps, identity) == json.loads(tokens)


def test_a_trusted_provider_with_an_unverified_address_does_not_link(
        deps: Deps, make_user: Callable[..., User]) -> None:
    make_user()
    with pytest.raises(ProviderRefused) as refused:
        identities.sign_in(deps, SETTINGS, replace(PROFILE, email_verified=False), CLIENT)
    assert (refused.value.status, refused.value.type) == (409, "IdentityEmailInUse")


def test_an_identity_links_to_one_account_and_an_account_to_one_per_provider(
        deps: Deps, make_user: Callable[..., User]) -> None:
    ada, bob = make_user(), make_user("bob@example.com")
    identities.link(deps, ada.id, SETTINGS, PROFILE)
    commit(deps.session)
    with pytest.raises(ProviderRefused) as elsewhere:
        identities.link(deps, bob.id, SETTINGS, PROFILE)
    assert elsewhere.value.type == "IdentityLinkedElsewhere"
    with pytest.raises(ProviderRefused) as second:
        identities.link(deps, ada.id, SETTINGS, replace(PROFILE, subject="43"))
    assert second.value.type == "ProviderAlreadyLinked"
    assert identities.link(deps, ada.id, SETTINGS, PROFILE).user_id == ada.id, "idempotent"


def test_sign_up_needs_a_verified_address(deps: Deps) -> None:
    open_settings = replace(SETTINGS, allow_signup=True)
    with pytest.raises(ProviderRefused) as refused:
        identities.sign_in(deps, open_settings, replace(PROFILE, email_verified=False), CLIENT)
    assert refused.value.type == "ProviderEmailNotVerified"
    assert deps.session.scalars(select(User)).first() is None


def test_a_passkey_is_a_way_to_sign_in_when_the_last_identity_goes(
        deps: Deps, make_user: Callable[..., User]) -> None:
    signup = replace(SETTINGS, allow_signup=True)
    issued = identities.sign_in(deps, signup, replace(PROFILE, email="new@example.com"), CLIENT)
    assert isinstance(issued, IssuedSession)
    commit(deps.session)
    user = deps.session.get(User, issued.credential.user_id)
    assert user is not None
    with pytest.raises(ProviderRefused) as refused:
        identities.unlink(deps, user, "sso")
    assert refused.value.type == "LastSignInMethod"
    deps.session.rollback()
    deps.session.add(Passkey(user_id=user.id, credential_id=b"c" * 16, public_key=b"k",
                             user_handle=b"h" * 32, name="laptop"))
    commit(deps.session)
    identities.unlink(deps, user, "sso")
    commit(deps.session)
    assert deps.session.scalars(select(Identity)).all() == []
