"""``POST /v2/register`` and ``POST /v2/verify-registration``."""

from __future__ import annotations

from typing import Any

from ..commands.registration import Register, VerifyRegistration
from ..schemas.registration import RegisterResult, RegisterSchema, VerifyRegistrationSchema
from ..services import registration
from ..web import CapabilityBlueprint, deps

bp = CapabilityBlueprint("registration", __name__)


@bp.operation("POST", "/register", operation_id="user-register", status=201, kinds=(),
              summary="Register with email and password.", body=RegisterSchema,
              response=RegisterResult, rate_limit_group="registration")
def register(body: Register) -> dict[str, Any]:
    user = registration.register(deps(), body)
    return {"user_id": user.id}


@bp.operation("POST", "/verify-registration", operation_id="user-verify-registration",
              kinds=(), summary="Verify your registration.", body=VerifyRegistrationSchema,
              extra_statuses=(404,), rate_limit_group="registration")
def verify_registration(body: VerifyRegistration) -> dict[str, Any]:
    registration.verify_registration(deps(), user_id=body.user_id, email=body.email,
                                     token=body.token)
    return {}
