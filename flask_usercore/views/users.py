"""The user resource: read, update, delete."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..errors import FieldError, ValidationFailed
from ..schemas.account import DeleteAccountSchema
from ..schemas.users import UserSchema, UserUpdateSchema, dump_user
from ..services import users
from .routing import CapabilityBlueprint, body, current_auth, deps, empty

bp = CapabilityBlueprint("users", __name__)
_UPDATE, _DELETE = UserUpdateSchema(), DeleteAccountSchema()
PASSWORD_HEADER = "x-apitree-password"  # noqa: S105 (a header name)


@bp.operation("GET", "/users/<userId>", operation_id="user-get-user",
              summary="Get profile information for a user.", response=UserSchema,
              extra_statuses=(403, 404))
def get_user(userId: str) -> Response:
    user, own = users.resolve_user(deps(), current_auth(), userId)
    return jsonify(dump_user(user, full=own))


@bp.operation("PUT", "/users/<userId>", operation_id="user-update-personal-information",
              status=204, summary="Change personal information.", body=UserUpdateSchema,
              extra_statuses=(403,))
def update_user(userId: str) -> Response:
    changes = body(_UPDATE)
    users.update_profile(deps(), users.own_user(deps(), current_auth(), userId), changes)
    return empty()


@bp.operation("PUT", "/users/self/personal-information", operation_id="user-update-account",
              status=204, summary="Update your account information.", body=UserUpdateSchema)
def update_account() -> Response:
    users.update_profile(deps(), current_auth().user, body(_UPDATE))
    return empty()


@bp.operation("DELETE", "/users/self", operation_id="user-delete-user",
              summary="Delete your account and all your personal data.",
              body=DeleteAccountSchema, extra_statuses=(202,))
def delete_user() -> Response:
    data = body(_DELETE)
    password = data.get("password") or request.headers.get(PASSWORD_HEADER)
    if password is None:
        raise ValidationFailed([FieldError(
            ".password", f"password is required, in the body or the {PASSWORD_HEADER} header",
            "required", {"missingProperty": "password"})])
    if "password" not in data and len(password) < 6:
        raise ValidationFailed.single(".password", "minLength",
                                      f"{PASSWORD_HEADER} must have at least 6 characters")
    users.delete_account(deps(), current_auth(), password, data.get("multi_factor_code"))
    return empty(200)
