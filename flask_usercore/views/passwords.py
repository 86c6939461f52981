"""The password operations: the policy, change, last change, reset."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request

from ..errors import FieldError, ValidationFailed
from ..hooks import Mail
from ..models import CredentialKind
from ..schemas.authentication import TokenResult
from ..schemas.passwords import (
    ChangePasswordSchema,
    ConfirmPasswordResetSchema,
    InitPasswordResetSchema,
    PasswordUpdatedAtResult,
)
from ..services import password_change, password_reset
from ..services.access import SESSION_ONLY
from ..services.context import Deps, commit, deliver_now, rollback
from ..services.passwords import policy_document
from ..web import CapabilityBlueprint, client_info, current_auth, deps

bp = CapabilityBlueprint("passwords", __name__)
logger = logging.getLogger("flask_usercore")
PASSWORD_HEADER = "x-apitree-password"  # noqa: S105 (a header name)
#: Sessions, and OAuth2 tokens with scope ``profile`` (DESIGN.md: "change the password").
CHANGE_KINDS = SESSION_ONLY | {CredentialKind.OAUTH2}


def password_from(body: dict[str, Any], key: str, wire: str) -> str:
    """The confirming password: ``body[key]``, else the ``x-apitree-password`` header (at
    least 6 characters); 400 ``required`` on ``.<wire>`` when neither is there."""
    password = body.get(key)
    if password is not None:
        return str(password)
    header = request.headers.get(PASSWORD_HEADER)
    if header is None:
        raise ValidationFailed([FieldError(
            f".{wire}", f"{wire} is required, in the body or the {PASSWORD_HEADER} header",
            "required", {"missingProperty": wire})])
    if len(header) < 6:
        raise ValidationFailed.single(f".{wire}", "minLength",
                                      f"{PASSWORD_HEADER} must have at least 6 characters")
    return header


@bp.operation("GET", "/password-policies/<passwordPolicy>", kinds=(),
              operation_id="password-validation-get-password-policy",
              summary="Get a PasswordPolicy.", extra_statuses=(404,))
def get_password_policy(passwordPolicy: str) -> dict[str, Any]:
    return policy_document(passwordPolicy)


@bp.operation("PUT", "/users/self/credentials/password", operation_id="user-change-password",
              kinds=CHANGE_KINDS, scopes=("profile",), summary="Change your password.",
              body=ChangePasswordSchema, response=TokenResult, extra_statuses=(202,))
def change_password(body: dict[str, Any]) -> dict[str, Any]:
    issued = password_change.change_password(
        deps(), current_auth(), old_password=password_from(body, "old_password", "oldPassword"),
        new_password=body["new_password"], multi_factor_code=body.get("multi_factor_code"),
        client=client_info())
    return {"token": issued.token, "refresh_token": issued.refresh_token,
            "expires": issued.expires}


@bp.operation("GET", "/users/self/credentials/password-updated-at",
              operation_id="user-get-password-updated-at",
              summary="The timestamp of your latest password change.",
              response=PasswordUpdatedAtResult)
def get_password_updated_at() -> dict[str, Any]:
    return {"password_updated_at": password_change.password_updated_at(current_auth().user)}


def after_response(response: Response, work: Callable[[Deps], Mail | None]) -> None:
    """Run ``work`` once ``response`` has been sent, in an app context and a transaction of
    its own, then deliver the mail it returns. A failure is logged, never raised (the answer
    is gone)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            the_deps = deps()
            try:
                mail = work(the_deps)
                commit(the_deps.session)
            except Exception:
                rollback(the_deps.session)
                logger.exception("work after the response of %s failed", work)
                return
            if mail is not None:
                deliver_now(the_deps, mail)

    response.call_on_close(run)


@bp.operation("POST", "/users/self/credentials/actions/init-password-reset", status=201,
              operation_id="user-init-password-reset", kinds=(),
              summary="Initialize password reset process.", body=InitPasswordResetSchema,
              rate_limit_group="credentials")
def init_password_reset(body: dict[str, Any]) -> Response:
    # The answer is the same, and takes the same time, whether or not the address has an
    # account: the lookup, the token and the mail all happen after it was sent.
    email = body["email"]
    response = jsonify({})
    response.status_code = 201
    after_response(response, lambda the_deps: password_reset.init_password_reset(the_deps,
                                                                                 email))
    return response


@bp.operation("POST", "/users/self/credentials/password/confirm-reset", status=204,
              operation_id="user-confirm-password-reset", kinds=(),
              summary="Confirm password reset.", body=ConfirmPasswordResetSchema,
              rate_limit_group="credentials")
def confirm_password_reset(body: dict[str, Any]) -> None:
    password_reset.confirm_password_reset(deps(), user_id=body["user_id"], token=body["token"],
                                          password=body["password"])
