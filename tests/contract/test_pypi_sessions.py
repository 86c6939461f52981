"""Sessions, API tokens and retrieval keys driven by mittwald's PyPI client over a socket.

Every operation of the capability runs through ``mittwald-api-client`` 3.0.0 against the
served example app, once with the client's default ``Authorization: Bearer`` and once with
``x-access-token``; every response is checked against mittwald's document (httpx hook).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from http import HTTPStatus

import pytest
from flask import Flask
from mittwald_api_client import Client
from mittwald_api_client.api.user import (
    user_authenticate_with_access_token_retrieval_key,
    user_create_api_token,
    user_delete_api_token,
    user_edit_api_token,
    user_get_api_token,
    user_get_session,
    user_get_user,
    user_list_api_tokens,
    user_list_sessions,
    user_refresh_session,
    user_terminate_all_sessions,
    user_terminate_session,
)
from mittwald_api_client.models import (
    DeMittwaldV1CommonsError,
    DeMittwaldV1CommonsValidationErrors,
    DeMittwaldV1SignupApiToken,
    DeMittwaldV1SignupApiTokenRolesItem,
    DeMittwaldV1SignupUserSession,
    DeMittwaldV1UserUser,
    UserAuthenticateWithAccessTokenRetrievalKeyBody,
    UserAuthenticateWithAccessTokenRetrievalKeyResponse200,
    UserCreateApiTokenBody,
    UserCreateApiTokenBodyRolesItem,
    UserCreateApiTokenResponse201,
    UserEditApiTokenBody,
    UserRefreshSessionBody,
    UserRefreshSessionResponse200,
)
from mittwald_api_client.types import UNSET

from tests.contract.served import Served, authenticated, log_in, register_verified

HEADERS = ["Authorization", "x-access-token"]


@pytest.mark.parametrize("header", HEADERS)
def test_sessions_through_the_pypi_client(served: Served, header: str) -> None:
    email = f"sessions.{header.lower()}@example.com"
    register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        first, second = log_in(public, email), log_in(public, email)
    with authenticated(served, first.token, header) as client:
        listed = user_list_sessions.sync_detailed(client=client, limit=1)
        assert listed.status_code == HTTPStatus.OK, listed.content
        assert isinstance(listed.parsed, list) and len(listed.parsed) == 1
        assert listed.headers["X-Pagination-TotalCount"] == "2"
        everything = user_list_sessions.sync(client=client)
        assert isinstance(everything, list) and len(everything) == 2
        assert all(isinstance(s, DeMittwaldV1SignupUserSession) for s in everything)
        token_ids = [s.token_id for s in everything]

        one = user_get_session.sync_detailed(str(token_ids[0]), client=client)
        assert one.status_code == HTTPStatus.OK
        assert isinstance(one.parsed, DeMittwaldV1SignupUserSession)
        assert one.parsed.location is not UNSET and one.parsed.location.ip_address == "127.0.0.1"
        missing = user_get_session.sync_detailed(str(uuid.uuid4()), client=client)
        assert missing.status_code == HTTPStatus.NOT_FOUND
        assert isinstance(missing.parsed, DeMittwaldV1CommonsError)

        # the other session (the newest: second) ends; then refresh this one
        ended = user_terminate_session.sync_detailed(str(token_ids[0]), client=client)
        assert ended.status_code == HTTPStatus.NO_CONTENT
        wrong = user_refresh_session.sync_detailed(
            client=client, body=UserRefreshSessionBody(refresh_token="not-a-refresh-token"))
        assert wrong.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(wrong.parsed, DeMittwaldV1CommonsError)
        refreshed = user_refresh_session.sync_detailed(
            client=client, body=UserRefreshSessionBody(refresh_token=first.refresh_token))
        assert refreshed.status_code == HTTPStatus.OK, refreshed.content
        assert isinstance(refreshed.parsed, UserRefreshSessionResponse200)
        assert refreshed.parsed.expires_at > dt.datetime.now(dt.UTC)
        # the access token used for the call has ended
        assert user_get_user.sync_detailed("self", client=client).status_code \
            == HTTPStatus.UNAUTHORIZED
    with authenticated(served, second.token, header) as client:
        assert user_get_user.sync_detailed("self", client=client).status_code \
            == HTTPStatus.UNAUTHORIZED
    with authenticated(served, refreshed.parsed.token, header) as client:
        assert user_terminate_all_sessions.sync_detailed(client=client).status_code \
            == HTTPStatus.NO_CONTENT
        assert isinstance(user_get_user.sync("self", client=client), DeMittwaldV1UserUser)


@pytest.mark.parametrize("header", HEADERS)
def test_api_tokens_through_the_pypi_client(served: Served, header: str) -> None:
    email = f"tokens.{header.lower()}@example.com"
    register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        session = log_in(public, email)
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
    with authenticated(served, session.token, header) as client:
        created = user_create_api_token.sync_detailed(client=client, body=UserCreateApiTokenBody(
            description="deploy script", roles=[UserCreateApiTokenBodyRolesItem.API_READ],
            expires_at=expires))
        assert created.status_code == HTTPStatus.CREATED, created.content
        assert isinstance(created.parsed, UserCreateApiTokenResponse201)
        token = created.parsed.token
        token_id = uuid.UUID(token.split(":")[0])
        bad = user_create_api_token.sync_detailed(client=client, body=UserCreateApiTokenBody(
            description="x", roles=[]))
        assert bad.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(bad.parsed, DeMittwaldV1CommonsValidationErrors)

        listed = user_list_api_tokens.sync_detailed(client=client)
        assert listed.status_code == HTTPStatus.OK
        assert listed.headers["X-Pagination-TotalCount"] == "1"
        [item] = listed.parsed  # type: ignore[misc]
        assert isinstance(item, DeMittwaldV1SignupApiToken)
        assert item.api_token_id == token_id and item.expires_at == expires
        assert item.roles == [DeMittwaldV1SignupApiTokenRolesItem.API_READ]

        edited = user_edit_api_token.sync_detailed(
            token_id, client=client, body=UserEditApiTokenBody(description="renamed",
                                                               expires_at=expires))
        assert edited.status_code == HTTPStatus.NO_CONTENT
        shown = user_get_api_token.sync(token_id, client=client)
        assert isinstance(shown, DeMittwaldV1SignupApiToken) and shown.description == "renamed"

    with authenticated(served, token, header) as api:  # the token itself: reads only
        assert isinstance(user_get_user.sync("self", client=api), DeMittwaldV1UserUser)
        refused = user_list_api_tokens.sync_detailed(client=api)
        assert refused.status_code == HTTPStatus.FORBIDDEN
        assert isinstance(refused.parsed, DeMittwaldV1CommonsError)

    with authenticated(served, session.token, header) as client:
        deleted = user_delete_api_token.sync_detailed(token_id, client=client)
        assert deleted.status_code == HTTPStatus.NO_CONTENT
        gone = user_get_api_token.sync_detailed(token_id, client=client)
        assert gone.status_code == HTTPStatus.NOT_FOUND


def test_retrieval_key_through_the_pypi_client(served: Served,
                                               make_app: Callable[..., Flask]) -> None:
    user_id = register_verified(served, "atrek@example.com")
    host = make_app()  # the host's side, on the same database: it makes the key
    with host.app_context():
        key = host.extensions["usercore"].core.create_retrieval_key(uuid.UUID(user_id))
    body = UserAuthenticateWithAccessTokenRetrievalKeyBody(access_token_retrieval_key=key,
                                                           user_id=uuid.UUID(user_id))
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        answer = user_authenticate_with_access_token_retrieval_key.sync_detailed(
            client=public, body=body)
        assert answer.status_code == HTTPStatus.OK, answer.content
        assert isinstance(answer.parsed, UserAuthenticateWithAccessTokenRetrievalKeyResponse200)
        again = user_authenticate_with_access_token_retrieval_key.sync_detailed(
            client=public, body=body)
        assert again.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(again.parsed, DeMittwaldV1CommonsValidationErrors)
    with authenticated(served, answer.parsed.token, "Authorization") as client:
        me = user_get_user.sync("self", client=client)
        assert isinstance(me, DeMittwaldV1UserUser) and str(me.user_id) == user_id
