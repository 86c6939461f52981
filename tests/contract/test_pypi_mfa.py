"""The MFA flow through mittwald's PyPI client over a real socket: init, confirm, status, login
with 202 then authenticate-mfa, recovery codes, disable.

Every response is checked against mittwald's document by the client's httpx hook. TOTP codes
are computed from the seed at the real time: the login uses the next step's code (one step
of drift is accepted), since the confirming step's code is spent.
"""

from __future__ import annotations

import time
from http import HTTPStatus

import pyotp
import pytest
from mittwald_api_client import Client
from mittwald_api_client.api.user import (
    user_authenticate,
    user_authenticate_mfa,
    user_confirm_mfa,
    user_disable_mfa,
    user_get_mfa_status,
    user_get_user,
    user_init_mfa,
    user_reset_recoverycodes,
)
from mittwald_api_client.models import (
    DeMittwaldV1CommonsValidationErrors,
    DeMittwaldV1UserUser,
    DeMittwaldV1UserUserMfa,
    UserAuthenticateBody,
    UserAuthenticateMfaBody,
    UserAuthenticateMfaResponse200,
    UserAuthenticateMfaResponse408,
    UserAuthenticateResponse202,
    UserConfirmMfaBody,
    UserConfirmMfaResponse200,
    UserDisableMfaBody,
    UserGetMfaStatusResponse200,
    UserInitMfaBody,
    UserInitMfaResponse200,
    UserResetRecoverycodesBody,
    UserResetRecoverycodesResponse200,
)

from tests.conftest import PASSWORD
from tests.contract.served import Served, authenticated, log_in, register_verified


def mfa_login(public: Client, email: str, code: str) -> UserAuthenticateMfaResponse200:
    """``/v2/authenticate`` (202), then ``/v2/authenticate-mfa`` with ``code`` (200)."""
    asked = user_authenticate.sync_detailed(
        client=public, body=UserAuthenticateBody(email=email, password=PASSWORD))
    assert asked.status_code == HTTPStatus.ACCEPTED, asked.content
    assert isinstance(asked.parsed, UserAuthenticateResponse202)
    done = user_authenticate_mfa.sync_detailed(client=public, body=UserAuthenticateMfaBody(
        email=email, password=PASSWORD, multi_factor_code=code))
    assert done.status_code == HTTPStatus.OK, done.content
    assert isinstance(done.parsed, UserAuthenticateMfaResponse200)
    return done.parsed


@pytest.mark.parametrize("header", ["Authorization", "x-access-token"])
def test_the_mfa_flow_through_the_pypi_client(served: Served, header: str) -> None:
    email = f"mfa.{header.lower()}@example.com"
    register_verified(served, email)
    with Client(base_url=served.base_url, httpx_args=served.httpx_args()) as public:
        session = log_in(public, email)
        with authenticated(served, session.token, header) as client:
            status = user_get_mfa_status.sync_detailed(client=client)
            assert isinstance(status.parsed, UserGetMfaStatusResponse200)
            assert (status.parsed.initialized, status.parsed.confirmed) == (False, False)

            init = user_init_mfa.sync_detailed(client=client, body=UserInitMfaBody())
            assert isinstance(init.parsed, UserInitMfaResponse200), init.content
            secret = pyotp.parse_uri(init.parsed.url).secret
            assert init.parsed.barcode

            confirmed = user_confirm_mfa.sync_detailed(client=client, body=UserConfirmMfaBody(
                multi_factor_code=pyotp.TOTP(secret).now()))
            assert isinstance(confirmed.parsed, UserConfirmMfaResponse200), confirmed.content
            codes = confirmed.parsed.recovery_codes_list
            assert len(codes) == 20 and all(len(code) == 16 for code in codes)

            status = user_get_mfa_status.sync_detailed(client=client)
            assert isinstance(status.parsed, UserGetMfaStatusResponse200)
            assert (status.parsed.initialized, status.parsed.confirmed) == (True, True)
            me = user_get_user.sync_detailed(client=client, user_id="self").parsed
            assert isinstance(me, DeMittwaldV1UserUser)
            assert isinstance(me.mfa, DeMittwaldV1UserUserMfa)
            assert (me.mfa.active, me.mfa.setup) == (True, True)

        # login: 202, then the second factor (a TOTP code, then a recovery code)
        totp_session = mfa_login(public, email, pyotp.TOTP(secret).at(time.time() + 30))
        expired = user_authenticate_mfa.sync_detailed(client=public, body=UserAuthenticateMfaBody(
            email=email, password=PASSWORD, multi_factor_code=codes[0]))
        assert expired.status_code == HTTPStatus.REQUEST_TIMEOUT, expired.content
        assert isinstance(expired.parsed, UserAuthenticateMfaResponse408)
        mfa_login(public, email, codes[1])
        assert any(mail["Subject"] == "A recovery code was used to sign in"
                   for mail in served.mails_to(email))

        with authenticated(served, totp_session.token, header) as client:
            wrong = user_reset_recoverycodes.sync_detailed(
                client=client, body=UserResetRecoverycodesBody(multi_factor_code=codes[1]))
            assert wrong.status_code == HTTPStatus.BAD_REQUEST
            assert isinstance(wrong.parsed, DeMittwaldV1CommonsValidationErrors)
            assert [e.type_ for e in wrong.parsed.validation_errors] == [
                "MultiFactorCodeNotValid"]

            renewed = user_reset_recoverycodes.sync_detailed(
                client=client, body=UserResetRecoverycodesBody(multi_factor_code=codes[2]))
            assert isinstance(renewed.parsed, UserResetRecoverycodesResponse200), renewed.content
            new_codes = renewed.parsed.recovery_codes_list
            assert len(new_codes) == 20 and not set(new_codes) & set(codes)

            disabled = user_disable_mfa.sync_detailed(
                client=client, body=UserDisableMfaBody(multi_factor_code=new_codes[0]))
            assert disabled.status_code == HTTPStatus.NO_CONTENT, disabled.content
            status = user_get_mfa_status.sync_detailed(client=client)
            assert isinstance(status.parsed, UserGetMfaStatusResponse200)
            assert (status.parsed.initialized, status.parsed.confirmed) == (False, False)
        log_in(public, email)  # the password alone again
