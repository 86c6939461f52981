"""The user resource: read, update, delete."""

from __future__ import annotations

from ..commands.account import DeleteAccount
from ..commands.users import UpdateProfile
from ..schemas.account import DeleteAccountSchema
from ..schemas.users import UserSchema, UserUpdateSchema, UserView
from ..services import users
from ..services.access import PROFILE_KINDS, SESSION_ONLY
from ..web import CapabilityBlueprint, current_auth, deps

bp = CapabilityBlueprint("users", __name__)
#: The OAuth2 scope of the APITree Profile.
PROFILE_SCOPE = ("profile",)


@bp.operation("GET", "/users/<userId>", operation_id="user-get-user", kinds=PROFILE_KINDS,
              scopes=PROFILE_SCOPE, summary="Get profile information for a user.",
              response=UserSchema, extra_statuses=(403, 404))
def get_user(userId: str) -> UserView:
    user, own = users.resolve_user(deps(), current_auth(), userId)
    return UserView(user, full=own)  # the owner's full resource, or the public profile


@bp.operation("PUT", "/users/<userId>", operation_id="user-update-personal-information",
              status=204, kinds=PROFILE_KINDS, scopes=PROFILE_SCOPE,
              summary="Change personal information.", body=UserUpdateSchema,
              extra_statuses=(403,))
def update_user(userId: str, body: UpdateProfile) -> None:
    users.update_profile(deps(), users.own_user(deps(), current_auth(), userId), body)


@bp.operation("PUT", "/users/self/personal-information", operation_id="user-update-account",
              status=204, kinds=PROFILE_KINDS, scopes=PROFILE_SCOPE,
              summary="Update your account information.", body=UserUpdateSchema)
def update_account(body: UpdateProfile) -> None:
    users.update_profile(deps(), current_auth().user, body)


@bp.operation("DELETE", "/users/self", operation_id="user-delete-user", status=200,
              kinds=SESSION_ONLY, summary="Delete your account and all your personal data.",
              body=DeleteAccountSchema, confirmation="password",
              extra_statuses=(202, 409))
def delete_user(body: DeleteAccount) -> None:
    users.delete_account(deps(), current_auth(), body)
