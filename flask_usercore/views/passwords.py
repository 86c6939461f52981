"""The password operations: the policy, change, last change, reset."""

from __future__ import annotations

from typing import Any

from ..commands.passwords import ChangePassword, ConfirmPasswordReset, InitPasswordReset
from ..models import CredentialKind
from ..runtime.unit_of_work import RunMode
from ..schemas.authentication import TokenResult
from ..schemas.passwords import (
    ChangePasswordSchema,
    ConfirmPasswordResetSchema,
    InitPasswordResetSchema,
    PasswordUpdatedAtResult,
)
from ..services import password_change, password_reset
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession
from ..services.passwords import policy_document
from ..web import AfterResponse, CapabilityBlueprint, client_info, current_auth, deps

bp = CapabilityBlueprint("passwords", __name__)
#: Sessions, and OAuth2 tokens with scope ``profile`` (DESIGN.md: "change the password").
CHANGE_KINDS = SESSION_ONLY | {CredentialKind.OAUTH2}


@bp.operation("GET", "/password-policies/<passwordPolicy>", kinds=(),
              operation_id="password-validation-get-password-policy",
              summary="Get a PasswordPolicy.", extra_statuses=(404,))
def get_password_policy(passwordPolicy: str) -> dict[str, Any]:
    return policy_document(deps(), passwordPolicy)


@bp.operation("PUT", "/users/self/credentials/password", operation_id="user-change-password",
              kinds=CHANGE_KINDS, scopes=("profile",), summary="Change your password.",
              body=ChangePasswordSchema, confirmation="old_password",
              response=TokenResult, extra_statuses=(202,))
def change_password(body: ChangePassword) -> IssuedSession:
    return password_change.change_password(deps(), current_auth(), body, client=client_info())


@bp.operation("GET", "/users/self/credentials/password-updated-at",
              operation_id="user-get-password-updated-at",
              summary="The timestamp of your latest password change.",
              response=PasswordUpdatedAtResult)
def get_password_updated_at() -> dict[str, Any]:
    return {"password_updated_at": password_change.password_updated_at(current_auth().user)}


@bp.operation("POST", "/users/self/credentials/actions/init-password-reset", status=201,
              operation_id="user-init-password-reset", kinds=(),
              summary="Initialize password reset process.", body=InitPasswordResetSchema,
              rate_limit_group="credentials", runs=RunMode.AFTER_RESPONSE, mail_to="email")
def init_password_reset(body: InitPasswordReset) -> AfterResponse:
    # The answer is the same, and takes the same time, whether or not the address has an
    # account: the lookup, the token and the mail all happen after it was sent.
    return AfterResponse(lambda the_deps: password_reset.init_password_reset(the_deps,
                                                                             body.email), {})


@bp.operation("POST", "/users/self/credentials/password/confirm-reset", status=204,
              operation_id="user-confirm-password-reset", kinds=(),
              summary="Confirm password reset.", body=ConfirmPasswordResetSchema,
              rate_limit_group="credentials")
def confirm_password_reset(body: ConfirmPasswordReset) -> None:
    password_reset.confirm_password_reset(deps(), user_id=body.user_id, token=body.token,
                                          password=body.password)
