"""The credential operations through mittwald's PyPI client over a real socket.

Password policy, password change and its last-change time, password reset (init and
confirm), the e-mail address (read, change, resend, verify) and the support code, each
called with ``mittwald-api-client`` 3.0.0 against example_app; every response is checked
against mittwald's OpenAPI document by the httpx hook. The authenticated calls run once
with ``Authorization: Bearer`` and once with ``x-access-token``.
"""

from __future__ import annotations

import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from uuid import UUID

import pytest
from mittwald_api_client import Client
from mittwald_api_client.api.user import (
    password_validation_get_password_policy,
    user_change_email,
    user_change_password,
    user_confirm_password_reset,
    user_get_own_email,
    user_get_password_updated_at,
    user_init_password_reset,
    user_resend_verification_email,
    user_support_code_request,
    user_verify_email,
)
from mittwald_api_client.models import (
    DeMittwaldV1CommonsError,
    DeMittwaldV1CommonsValidationErrors,
    UserChangeEmailBody,
    UserChangePasswordBody,
    UserChangePasswordResponse200,
    UserConfirmPasswordResetBody,
    UserGetOwnEmailResponse200,
    UserGetPasswordUpdatedAtResponse200,
    UserInitPasswordResetBody,
    UserInitPasswordResetResponse201,
    UserResendVerificationEmailBody,
    UserSupportCodeRequestResponse200,
    UserVerifyEmailBody,
)

from tests.conftest import PASSWORD
from tests.contract.served import Served, authenticated, log_in, register_verified

CHANGED = "a brand new passphrase 42"
RESET = "yet another passphrase 77"


def wait_for_code(served: Served, email: str, pattern: str, before: int) -> str:
    """The code of the first mail to ``email`` after the ``before`` earlier ones (a reset
    mail is written when the server has closed the response, moments after the client
    read it)."""
    deadline = time.monotonic() + 5
    while len(served.mails_to(email)) <= before and time.monotonic() < deadline:
        time.sleep(0.02)
    return served.code_for(email, pattern)


def newest_code(served: Served, email: str) -> str:
    """The code of the newest mail to ``email`` by write time (file names have seconds)."""
    for path in sorted(served.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns,
                       reverse=True):
        mail = BytesParser(policy=policy.default, _class=EmailMessage).parsebytes(
            path.read_bytes())
        if mail["To"] == email:
            part = mail.get_body(("plain",))
            assert part is not None
            match = re.search(r"code is: (\w+)", part.get_content())
            assert match
            return match.group(1)
    raise AssertionError(f"no mail to {email}")


def test_policy(served: Served) -> None:
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        found = password_validation_get_password_policy.sync_detailed("mittwald", client=public)
        assert found.status_code == HTTPStatus.OK
        assert isinstance(found.parsed, dict)  # typed str, served as the JSON object
        assert found.parsed["minComplexity"] == 3
        missing = password_validation_get_password_policy.sync_detailed("nope", client=public)
        assert missing.status_code == HTTPStatus.NOT_FOUND
        assert isinstance(missing.parsed, DeMittwaldV1CommonsError)


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_password_change_and_reset(served: Served, header: str) -> None:
    email = f"pw.{header.lower()}@example.com"
    user_id = register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        session = log_in(public, email)
        with authenticated(served, session.token, header) as client:
            updated = user_get_password_updated_at.sync_detailed(client=client)
            assert updated.status_code == HTTPStatus.OK
            assert isinstance(updated.parsed, UserGetPasswordUpdatedAtResponse200)
            wrong = user_change_password.sync_detailed(client=client, body=UserChangePasswordBody(
                new_password=CHANGED, old_password="not my password 1"))
            assert wrong.status_code == HTTPStatus.BAD_REQUEST
            assert isinstance(wrong.parsed, DeMittwaldV1CommonsValidationErrors)
            assert wrong.parsed.validation_errors[0].type_ == "WrongPassword"
            changed = user_change_password.sync_detailed(
                client=client, body=UserChangePasswordBody(new_password=CHANGED,
                                                           old_password=PASSWORD))
            assert changed.status_code == HTTPStatus.OK, changed.content
            assert isinstance(changed.parsed, UserChangePasswordResponse200)
        with authenticated(served, changed.parsed.token, header) as client:
            again = user_get_password_updated_at.sync_detailed(client=client)
            assert again.status_code == HTTPStatus.OK

        before = len(served.mails_to(email))
        started = user_init_password_reset.sync_detailed(
            client=public, body=UserInitPasswordResetBody(email=email))
        assert started.status_code == HTTPStatus.CREATED
        assert isinstance(started.parsed, UserInitPasswordResetResponse201)
        unknown = user_init_password_reset.sync_detailed(
            client=public, body=UserInitPasswordResetBody(email="nobody@example.com"))
        assert unknown.status_code == HTTPStatus.CREATED
        token = wait_for_code(served, email, r"reset code is: (\w+)", before)
        confirmed = user_confirm_password_reset.sync_detailed(
            client=public, body=UserConfirmPasswordResetBody(
                password=RESET, token=token, user_id=UUID(user_id)))
        assert confirmed.status_code == HTTPStatus.NO_CONTENT, confirmed.content
        reused = user_confirm_password_reset.sync_detailed(
            client=public, body=UserConfirmPasswordResetBody(
                password=RESET, token=token, user_id=UUID(user_id)))
        assert reused.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(reused.parsed, DeMittwaldV1CommonsValidationErrors)
        assert log_in(public, email, RESET).token


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_email_change_and_support_code(served: Served, header: str) -> None:
    email = f"mail.{header.lower()}@example.com"
    new = f"new.{header.lower()}@example.com"
    user_id = register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        session = log_in(public, email)
        with authenticated(served, session.token, header) as client:
            own = user_get_own_email.sync_detailed(client=client)
            assert isinstance(own.parsed, UserGetOwnEmailResponse200)
            assert own.parsed.email == email
            # mittwald's body is {email} alone, no password: right after the login the
            # session is fresh (USERCORE_REAUTH_MAX_AGE), so the change goes through
            requested = user_change_email.sync_detailed(client=client,
                                                        body=UserChangeEmailBody(email=new))
            assert requested.status_code == HTTPStatus.NO_CONTENT, requested.content
            resent = user_resend_verification_email.sync_detailed(
                client=public, body=UserResendVerificationEmailBody(email=new,
                                                                    user_id=UUID(user_id)))
            assert resent.status_code == HTTPStatus.NO_CONTENT
            nothing = user_resend_verification_email.sync_detailed(
                client=public, body=UserResendVerificationEmailBody(email="x@example.com",
                                                                    user_id=UUID(user_id)))
            assert nothing.status_code == HTTPStatus.PRECONDITION_FAILED
            assert isinstance(nothing.parsed, DeMittwaldV1CommonsError)
            wrong = user_verify_email.sync_detailed(
                client=client, body=UserVerifyEmailBody(email=new, token="00000000"))
            assert wrong.status_code == HTTPStatus.BAD_REQUEST
            verified = user_verify_email.sync_detailed(
                client=client, body=UserVerifyEmailBody(email=new, token=newest_code(served, new)))
            assert verified.status_code == HTTPStatus.NO_CONTENT, verified.content
            own = user_get_own_email.sync_detailed(client=client)
            assert isinstance(own.parsed, UserGetOwnEmailResponse200)
            assert own.parsed.email == new

            first = user_support_code_request.sync_detailed(client=client)
            assert isinstance(first.parsed, UserSupportCodeRequestResponse200)
            assert len(first.parsed.support_code) == 6
            same = user_support_code_request.sync_detailed(client=client)
            assert isinstance(same.parsed, UserSupportCodeRequestResponse200)
            assert same.parsed.support_code == first.parsed.support_code
            forced = user_support_code_request.sync_detailed(client=client, force_recreate=True)
            assert forced.status_code == HTTPStatus.OK
