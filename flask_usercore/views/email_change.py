"""The e-mail address operations: read the verified address, change it, resend and verify
the code."""

from __future__ import annotations

from typing import Any

from ..commands.email_change import ChangeEmail, ResendEmail, VerifyEmail
from ..schemas.email_change import (
    ChangeEmailSchema,
    EmailResult,
    ResendEmailSchema,
    VerifyEmailSchema,
)
from ..services import email_change
from ..services.access import SESSION_ONLY
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("email_change", __name__)


@bp.operation("GET", "/users/self/credentials/email", operation_id="user-get-own-email",
              summary="Get your verified Email-Address.", response=EmailResult,
              extra_statuses=(404,))
def get_own_email() -> dict[str, Any]:
    return {"email": email_change.verified_email(current_auth().user)}


@bp.operation("PUT", "/users/self/credentials/email", operation_id="user-change-email",
              status=204, kinds=SESSION_ONLY, summary="Change your Email-Address.",
              body=ChangeEmailSchema, confirmation="password", fresh=True, mail_to="email")
def change_email(body: ChangeEmail) -> None:
    email_change.request_email_change(deps(), current_auth(), email=body.email)


@bp.operation("POST", "/users/self/credentials/email/actions/resend-email", status=204,
              operation_id="user-resend-verification-email", kinds=(),
              summary="Resend the Email-Address verification email.", body=ResendEmailSchema,
              extra_statuses=(412,), rate_limit_group="credentials", mail_to="email",
              mail_account="user_id")
def resend_email(body: ResendEmail) -> None:
    email_change.resend_verification(deps(), user_id=body.user_id, email=body.email)


@bp.operation("POST", "/users/self/credentials/email/actions/verify-email", status=204,
              operation_id="user-verify-email", kinds=SESSION_ONLY,
              summary="Verify an added Email-Address.", body=VerifyEmailSchema,
              extra_statuses=(404,), rate_limit_group="credentials")
def verify_email(body: VerifyEmail) -> None:
    email_change.verify_email_change(deps(), current_auth(), email=body.email,
                                     token=body.token)
