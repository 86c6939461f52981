"""mittwald's PyPI client (``mittwald-api-client`` 3.0.0) against example_app over a real socket.

The example app runs in a werkzeug server thread on 127.0.0.1 (a free port); mails land as
``.eml`` files in a temporary outbox, where the verification code is read from. Every response
the client receives is also checked against mittwald's OpenAPI document (an httpx event hook).
The authenticated part runs twice: with the client's default ``Authorization: Bearer`` header and
with ``x-access-token`` (the header mittwald's JS client sends).
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from uuid import UUID

import pytest
from mittwald_api_client import Client
from mittwald_api_client.api.user import (
    user_authenticate,
    user_check_token,
    user_delete_user,
    user_get_user,
    user_logout,
    user_register,
    user_update_account,
    user_update_personal_information,
    user_verify_registration,
)
from mittwald_api_client.models import (
    DeMittwaldV1CommonsError,
    DeMittwaldV1CommonsPerson,
    DeMittwaldV1CommonsSalutation,
    DeMittwaldV1CommonsValidationErrors,
    DeMittwaldV1CommonsValidationErrorsType,
    DeMittwaldV1UserUser,
    DeMittwaldV1UserUserMfa,
    UserAuthenticateBody,
    UserCheckTokenResponse200,
    UserDeleteUserBody,
    UserRegisterBody,
    UserRegisterResponse201,
    UserUpdateAccountBody,
    UserUpdatePersonalInformationBody,
    UserVerifyRegistrationBody,
    UserVerifyRegistrationResponse200,
)
from mittwald_api_client.types import UNSET

from tests.conftest import PASSWORD
from tests.contract.served import Served, authenticated, log_in


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_every_implemented_operation_through_the_pypi_client(served: Served, header: str) -> None:
    email = f"ada.{header.lower()}@example.com"
    person = DeMittwaldV1CommonsPerson(first_name="Ada", last_name="Lovelace")
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        # register -> 201 {userId}; verify with the mailed code -> 200 {}
        registered = user_register.sync_detailed(
            client=public, body=UserRegisterBody(email=email, password=PASSWORD, person=person))
        assert registered.status_code == HTTPStatus.CREATED, registered.content
        assert isinstance(registered.parsed, UserRegisterResponse201)
        user_id = registered.parsed.user_id
        assert isinstance(user_id, UUID)
        verified = user_verify_registration.sync_detailed(
            client=public, body=UserVerifyRegistrationBody(
                email=email, token=served.code_for(email), user_id=user_id))
        assert verified.status_code == HTTPStatus.OK, verified.content
        assert isinstance(verified.parsed, UserVerifyRegistrationResponse200)

        # a wrong password -> 401, which the client parses as ValidationErrors only
        wrong = user_authenticate.sync_detailed(
            client=public, body=UserAuthenticateBody(email=email, password="not the password 1"))
        assert wrong.status_code == HTTPStatus.UNAUTHORIZED
        assert isinstance(wrong.parsed, DeMittwaldV1CommonsValidationErrors)
        assert wrong.parsed.type_ is DeMittwaldV1CommonsValidationErrorsType.VALIDATIONERROR
        assert wrong.parsed.message is UNSET
        assert [e.type_ for e in wrong.parsed.validation_errors] == ["WrongCredentials"]

        session = log_in(public, email)
        assert session.token and session.refresh_token
        assert session.expires > dt.datetime.now(dt.UTC)

    with authenticated(served, session.token, header) as api:
        sent_from = len(served.sent)
        # the user, read as "self" and by id
        for who in ("self", str(user_id)):
            got = user_get_user.sync_detailed(who, client=api)
            assert got.status_code == HTTPStatus.OK, got.content
            assert isinstance(got.parsed, DeMittwaldV1UserUser)
            user = got.parsed
            assert user.user_id == user_id
            assert user.email == email
            assert (user.person.first_name, user.person.last_name) == ("Ada", "Lovelace")
            assert isinstance(user.mfa, DeMittwaldV1UserUserMfa)
            assert (user.mfa.active, user.mfa.setup) == (False, False)
            assert user.is_employee is False
            assert isinstance(user.registered_at, dt.datetime)
            assert user.registered_at.tzinfo is not None
            assert user["emailVerified"] is True  # an APITree Profile field, kept as extra

        # PUT /v2/users/{userId} and PUT /v2/users/self/personal-information -> 204
        changed = user_update_personal_information.sync_detailed(
            str(user_id), client=api, body=UserUpdatePersonalInformationBody(
                person=DeMittwaldV1CommonsPerson(first_name="Augusta", last_name="King")))
        assert changed.status_code == HTTPStatus.NO_CONTENT, changed.content
        assert changed.parsed is None
        after = user_get_user.sync(user_id="self", client=api)
        assert isinstance(after, DeMittwaldV1UserUser)
        assert (after.person.first_name, after.person.last_name) == ("Augusta", "King")
        account = user_update_account.sync_detailed(client=api, body=UserUpdateAccountBody(
            person=DeMittwaldV1CommonsPerson(first_name="Ada", last_name="Lovelace",
                                             title=DeMittwaldV1CommonsSalutation.MS)))
        assert account.status_code == HTTPStatus.NO_CONTENT, account.content
        again = user_get_user.sync(user_id="self", client=api)
        assert isinstance(again, DeMittwaldV1UserUser)
        assert again.person.first_name == "Ada"
        assert again.person.title is DeMittwaldV1CommonsSalutation.MS

        # the deprecated token check and its successor agree on the session
        checked = user_check_token.sync_detailed(client=api)
        assert checked.status_code == HTTPStatus.OK, checked.content
        assert isinstance(checked.parsed, UserCheckTokenResponse200)
        assert checked.parsed.public_token == session.token
        status = api.get_httpx_client().get("/v2/users/self/sessions/current/status")
        assert status.status_code == HTTPStatus.OK, status.content
        assert status.json() == {"userId": str(user_id), "tokenId": str(checked.parsed.id),
                                 "isImpersonated": False, "isEmployee": False}

        # the host's own route, protected by the extension, takes the same token
        me = api.get_httpx_client().get("/me")
        assert me.status_code == HTTPStatus.OK, me.content
        assert me.json() == {"userId": str(user_id), "email": email, "kind": "session"}

        # logout -> 204; the token is dead afterwards (401 parsed as commons.Error)
        logged_out = user_logout.sync_detailed(client=api)
        assert logged_out.status_code == HTTPStatus.NO_CONTENT, logged_out.content
        gone = user_get_user.sync_detailed("self", client=api)
        assert gone.status_code == HTTPStatus.UNAUTHORIZED
        assert isinstance(gone.parsed, DeMittwaldV1CommonsError)
        assert gone.parsed.type_ == "Unauthorized"

        # the token travelled in the header under test, and only there
        for request in served.sent[sent_from:]:
            if header == "Authorization":
                assert request.headers["Authorization"] == f"Bearer {session.token}"
                assert "x-access-token" not in request.headers
            else:
                assert request.headers["x-access-token"] == session.token
                assert "Authorization" not in request.headers

    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        token = log_in(public, email).token
    with authenticated(served, token, header) as api:
        # DELETE /v2/users/self: a wrong password is a 400, the right one a 200 without body
        refused = user_delete_user.sync_detailed(
            client=api, body=UserDeleteUserBody(password="not the password 1"))
        assert refused.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(refused.parsed, DeMittwaldV1CommonsValidationErrors)
        assert [e.type_ for e in refused.parsed.validation_errors] == ["WrongPassword"]
        deleted = user_delete_user.sync_detailed(
            client=api, body=UserDeleteUserBody(password=PASSWORD))
        assert deleted.status_code == HTTPStatus.OK, deleted.content
        assert deleted.parsed is None
        assert deleted.content == b""
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        after_delete = user_authenticate.sync_detailed(
            client=public, body=UserAuthenticateBody(email=email, password=PASSWORD))
        assert after_delete.status_code == HTTPStatus.UNAUTHORIZED
        assert isinstance(after_delete.parsed, DeMittwaldV1CommonsValidationErrors)
