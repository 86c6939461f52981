"""``POST /v2/register`` and ``POST /v2/verify-registration``."""

from __future__ import annotations

from flask import Response, jsonify

from ..schemas.registration import RegisterResult, RegisterSchema, VerifyRegistrationSchema
from ..services import registration
from .routing import CapabilityBlueprint, body, deps, reply

bp = CapabilityBlueprint("registration", __name__)
_REGISTER, _VERIFY, _RESULT = RegisterSchema(), VerifyRegistrationSchema(), RegisterResult()


@bp.operation("POST", "/register", operation_id="user-register", status=201, auth=False,
              summary="Register with email and password.", body=RegisterSchema,
              response=RegisterResult, rate_limit_group="registration")
def register() -> Response:
    data = body(_REGISTER)
    email, password, person = data.pop("email"), data.pop("password"), data.pop("person")
    user = registration.register(deps(), email=email, password=password, person=person,
                                 profile=data)
    return reply(_RESULT, {"user_id": user.id}, 201)


@bp.operation("POST", "/verify-registration", operation_id="user-verify-registration",
              auth=False, summary="Verify your registration.", body=VerifyRegistrationSchema,
              extra_statuses=(404,), rate_limit_group="registration")
def verify_registration() -> Response:
    registration.verify_registration(deps(), **body(_VERIFY))
    return jsonify({})
