"""mittwald's PyPI client calls both OAuth2 operations of the document over a real socket:
``user_oauth_get_authorization`` (302 with code and state, 400 ``invalid_request``) and
``user_oauth_retrieve_access_token`` (200 token, 400 RFC 6749 errors), with its default
Bearer header and with ``x-access-token``."""

from __future__ import annotations

import base64
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from mittwald_api_client import Client
from mittwald_api_client.api.user import (
    user_oauth_get_authorization,
    user_oauth_retrieve_access_token,
)
from mittwald_api_client.models import (
    UserOauthGetAuthorizationCodeChallengeMethod,
    UserOauthGetAuthorizationGrantType,
    UserOauthGetAuthorizationResponse400,
    UserOauthGetAuthorizationResponseType,
    UserOauthRetrieveAccessTokenBody,
    UserOauthRetrieveAccessTokenBodyGrantType,
    UserOauthRetrieveAccessTokenResponse200,
    UserOauthRetrieveAccessTokenResponse400,
)

from tests.contract.oauth2_clients import (
    REDIRECT_URI,
    register_client,
)
from tests.contract.oauth2_clients import admin as admin  # the fixtures
from tests.contract.oauth2_clients import outbox as outbox
from tests.contract.oauth2_clients import served as served
from tests.contract.served import Served, authenticated, log_in, register_verified

#: The generated ``user_oauth_get_authorization`` passes ``cookies={}`` to every request (its
#: cookie parameter), which httpx 0.28 warns about; the warning is the client's, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Setting per-request cookies:DeprecationWarning")


@pytest.fixture(scope="module")
def client_facts(admin: Flask) -> dict[str, str]:
    return register_client(admin)


@pytest.fixture(scope="module")
def token(served: Served) -> str:
    register_verified(served, "pypi.oauth@example.com")
    return log_in(Client(base_url=served.base_url, httpx_args=served.httpx_args()),
                  "pypi.oauth@example.com").token


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_both_operations_through_the_pypi_client(
        served: Served, client_facts: dict[str, str], token: str, header: str) -> None:
    verifier = generate_token(48)
    api = authenticated(served, token, header)
    authorized = user_oauth_get_authorization.sync_detailed(
        client=api, grant_consent=True,
        grant_type=UserOauthGetAuthorizationGrantType.AUTHORIZATION_CODE,
        response_type=UserOauthGetAuthorizationResponseType.CODE,
        client_id=client_facts["client_id"], redirect_uri=REDIRECT_URI, scope="profile",
        state="xyz", code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method=UserOauthGetAuthorizationCodeChallengeMethod.S256)
    assert authorized.status_code == HTTPStatus.FOUND
    location = authorized.headers["location"]
    assert location.startswith(REDIRECT_URI)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == "xyz"
    basic = base64.b64encode(
        f"{client_facts['client_id']}:{client_facts['client_secret']}".encode()).decode()
    public = Client(base_url=served.base_url, httpx_args=served.httpx_args())
    body = UserOauthRetrieveAccessTokenBody(
        code=query["code"], redirect_uri=REDIRECT_URI, code_verifier=verifier,
        grant_type=UserOauthRetrieveAccessTokenBodyGrantType.AUTHORIZATION_CODE)
    issued = user_oauth_retrieve_access_token.sync_detailed(
        client=public, body=body, authorization=f"Basic {basic}")
    assert issued.status_code == HTTPStatus.OK, issued.content
    assert isinstance(issued.parsed, UserOauthRetrieveAccessTokenResponse200)
    assert issued.parsed.token_type.value == "bearer" and issued.parsed.expires_in == 3600
    again = user_oauth_retrieve_access_token.sync_detailed(
        client=public, body=body, authorization=f"Basic {basic}")
    assert isinstance(again.parsed, UserOauthRetrieveAccessTokenResponse400)
    assert again.parsed.error.value == "invalid_grant"
    wrong_secret = base64.b64encode(f"{client_facts['client_id']}:nope".encode()).decode()
    refused = user_oauth_retrieve_access_token.sync_detailed(
        client=public, body=body, authorization=f"Basic {wrong_secret}")
    assert isinstance(refused.parsed, UserOauthRetrieveAccessTokenResponse400)
    assert refused.parsed.error.value == "invalid_client"


def test_an_unknown_client_is_parsed_as_the_documented_400(served: Served, token: str) -> None:
    answer = user_oauth_get_authorization.sync_detailed(
        client=authenticated(served, token, "Authorization"), grant_consent=True,
        response_type=UserOauthGetAuthorizationResponseType.CODE, client_id="nobody",
        redirect_uri=REDIRECT_URI)
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert isinstance(answer.parsed, UserOauthGetAuthorizationResponse400)
    assert answer.parsed.error.value == "invalid_request"


def test_the_cookie_alone_gets_the_consent_page_not_a_code(
        served: Served, admin: Flask, token: str) -> None:
    """grant_consent is honoured with a header token only (pages.py explains why)."""
    answer = user_oauth_get_authorization.sync_detailed(
        client=Client(base_url=served.base_url, httpx_args=served.httpx_args()),
        grant_consent=True, response_type=UserOauthGetAuthorizationResponseType.CODE,
        client_id=register_client(admin)["client_id"], redirect_uri=REDIRECT_URI,
        scope="profile", x_access_token=token)
    assert answer.status_code == HTTPStatus.FOUND
    assert "/v2/oauth2/consent?" in answer.headers["location"]


