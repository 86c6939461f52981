"""Multi-factor authentication: the MFA login, TOTP setup, status, recovery codes, disable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response

from ..commands.authentication import LoginQuery
from ..commands.empty import Empty
from ..commands.mfa import AuthenticateMfa, MultiFactorCode
from ..errors import N_, ValidationFailed
from ..schemas.authentication import AuthenticateQuery, TokenResult
from ..schemas.base import EmptySchema
from ..schemas.mfa import (
    AuthenticateMfaSchema,
    MfaSetupResult,
    MfaStatusResult,
    MultiFactorCodeSchema,
    RecoveryCodesResult,
)
from ..services import authentication, mfa_setup
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession
from ..services.mfa_setup import NOT_INITIALIZED, MfaSetup
from ..web import CapabilityBlueprint, client_info, current_auth, deps
from .authentication import session_reply

bp = CapabilityBlueprint("mfa", __name__)
_CODES = "/users/self/credentials/mfa"


@contextmanager
def _set_up_first() -> Iterator[None]:
    """``MfaNotInitialized`` of the code operations, telling the client which operation
    comes first."""
    try:
        yield
    except ValidationFailed as exc:
        if [error.type for error in exc.errors] != [NOT_INITIALIZED]:
            raise
        raise ValidationFailed.single("", NOT_INITIALIZED, N_("MFA is not set up: call init-mfa "
                                                           "first")) from None


@bp.operation("POST", "/authenticate-mfa", operation_id="user-authenticate-mfa", kinds=(),
              summary="Validate your second factor.", body=AuthenticateMfaSchema,
              query=AuthenticateQuery, response=TokenResult, extra_statuses=(204, 408),
              rate_limit_group="login")
def authenticate_mfa(body: AuthenticateMfa, query: LoginQuery) -> Response | IssuedSession:
    issued = authentication.authenticate_mfa(deps(), body, client_info())
    return session_reply(issued, query.cookie_only)


@bp.operation("POST", "/users/self/credentials/init-mfa", operation_id="user-init-mfa",
              summary="Initialize Multi Factor Authentication. If successful, it needs to be "
                      "confirmed, before usage of mfa.",
              body=EmptySchema, response=MfaSetupResult, kinds=SESSION_ONLY, fresh=True)
def init_mfa(body: Empty) -> MfaSetup:
    return mfa_setup.init_mfa(deps(), current_auth().user)


@bp.operation("GET", _CODES, operation_id="user-get-mfa-status",
              summary="Get your current multi factor auth status.", response=MfaStatusResult)
def get_mfa_status() -> dict[str, Any]:
    return mfa_setup.mfa_status(current_auth().user)


@bp.operation("POST", _CODES, operation_id="user-confirm-mfa",
              summary="Confirm Multi Factor Authentication.", body=MultiFactorCodeSchema,
              response=RecoveryCodesResult, kinds=SESSION_ONLY, rate_limit_group="mfa",
              fresh=True)
def confirm_mfa(body: MultiFactorCode) -> dict[str, Any]:
    with _set_up_first():
        codes = mfa_setup.confirm_mfa(deps(), current_auth().user, body.multi_factor_code)
    return {"recovery_codes_list": codes}


@bp.operation("PUT", _CODES, operation_id="user-reset-recoverycodes",
              summary="Reset RecoveryCodes for MFA.", body=MultiFactorCodeSchema,
              response=RecoveryCodesResult, kinds=SESSION_ONLY, rate_limit_group="mfa")
def regenerate_recovery_codes(body: MultiFactorCode) -> dict[str, Any]:
    with _set_up_first():
        codes = mfa_setup.regenerate_recovery_codes(deps(), current_auth().user,
                                                    body.multi_factor_code)
    return {"recovery_codes_list": codes}


@bp.operation("DELETE", _CODES, operation_id="user-disable-mfa", status=204,
              summary="Disable Multi Factor Authentication.", body=MultiFactorCodeSchema,
              kinds=SESSION_ONLY, rate_limit_group="mfa")
def disable_mfa(body: MultiFactorCode) -> None:
    with _set_up_first():
        mfa_setup.disable_mfa(deps(), current_auth().user, body.multi_factor_code)
