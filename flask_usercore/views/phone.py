"""The caller's phone number: add (an SMS code is sent), verify, remove."""

from __future__ import annotations

from ..commands.phone import AddPhone, VerifyPhone
from ..schemas.phone import PhoneSchema, VerifyPhoneSchema
from ..services import phone
from ..services.access import own_resources
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("phone", __name__)


@bp.operation("POST", "/users/<userId>/phone", operation_id="user-add-phone-number",
              status=204, summary="Add phone number and start verification process.",
              body=PhoneSchema, extra_statuses=(403, 404, 409))
def add_phone_number(userId: str, body: AddPhone) -> None:
    phone.add_phone(deps(), own_resources(current_auth(), userId), body.phone_number)


@bp.operation("POST", "/users/<userId>/actions/verify-phone",
              operation_id="user-verify-phone-number", status=204,
              summary="Verify phone number.", body=VerifyPhoneSchema,
              extra_statuses=(403, 404, 409))
def verify_phone_number(userId: str, body: VerifyPhone) -> None:
    phone.verify_phone(deps(), own_resources(current_auth(), userId), body.phone_number,
                       body.code)


@bp.operation("DELETE", "/users/<userId>/phone", operation_id="user-remove-phone-number",
              status=204, summary="Remove phone number.", extra_statuses=(403, 404, 412))
def remove_phone_number(userId: str) -> None:
    phone.remove_phone(deps(), own_resources(current_auth(), userId))
