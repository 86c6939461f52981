"""Bodies and queries of the admin API (docs/admin.md): the user search, an account as the
admin sees it, roles, the audit."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, fields, post_load
from marshmallow.validate import Range

from ..commands.admin import AuditQuery, DisableUser, UserSearch
from ..messages import N_
from .base import InputSchema, ResponseSchema, UtcDateTime, UuidString
from .errortypes import typed_error
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_POSITION
from .text import text


class _Paged(InputSchema):
    """``limit``, ``skip``, ``page`` as :class:`~.pagination.PageQuery` reads them."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(strict=False, validate=Range(min=0, max=MAX_LIMIT))
    skip = fields.Integer(strict=False, validate=Range(min=0, max=MAX_POSITION))
    page = fields.Integer(strict=False, validate=Range(min=0, max=MAX_POSITION))

    @post_load
    def _to_command(self, data: dict[str, Any], **kwargs: Any) -> Any:
        if "disabled" in data:  # ?disabled=true|false
            data["disabled"] = data["disabled"] == "true"
        limit: int = data.pop("limit", DEFAULT_LIMIT)
        skip: int | None = data.pop("skip", None)
        page: int = data.pop("page", None) or 1
        if skip is None:
            skip = (page - 1) * limit
        assert self.command is not None  # noqa: S101 (every subclass names one)
        return self.command(limit=limit, skip=skip, **data)


def _flag(value: str) -> None:
    if value not in ("true", "false"):
        raise typed_error(N_("Must be true or false."), "enum")


class UserSearchQuery(_Paged):
    """``?q=&disabled=&role=&limit=&skip=&page=``."""

    command = UserSearch
    q = text(254, min_length=1)
    disabled = fields.String(validate=_flag)
    role = text(80, min_length=1)



class AuditQuerySchema(_Paged):
    """``?userId=&action=&limit=&skip=&page=``."""

    command = AuditQuery
    user_id = fields.UUID(data_key="userId")
    action = text(40, min_length=1)


class DisableSchema(InputSchema):
    """The optional body of a disable: ``{reason?}`` (kept in the audit)."""

    command = DisableUser
    reason = text(255, min_length=1)


class MfaStateSchema(ResponseSchema):
    active = fields.Boolean(required=True, attribute="mfa_active")
    setup = fields.Boolean(required=True, attribute="mfa_setup")


class AdminPersonSchema(ResponseSchema):
    first_name = fields.String(required=True, data_key="firstName")
    last_name = fields.String(required=True, data_key="lastName")
    title = fields.String()


class AdminUserSchema(ResponseSchema):
    """An account as the admin sees it."""

    user_id = UuidString(required=True, data_key="userId", attribute="id")
    email = fields.String(required=True)
    person = fields.Function(lambda user: AdminPersonSchema().dump(user), required=True)
    nickname = fields.String()
    email_verified = fields.Function(lambda user: user.email_verified_at is not None,
                                     data_key="emailVerified", required=True)
    mfa = fields.Function(lambda user: MfaStateSchema().dump(user), required=True)
    registered_at = UtcDateTime(required=True, data_key="registeredAt", attribute="created_at")
    disabled = fields.Boolean(required=True)
    disabled_at = UtcDateTime(data_key="disabledAt")
    roles = fields.Function(lambda user: sorted(user.role_names), required=True)
    permissions = fields.Function(lambda user: sorted(user.permissions), required=True)


class RoleSchema(ResponseSchema):
    """A role: ``name``, ``description``, ``permissions``."""

    name = fields.String(required=True)
    description = fields.String()
    permissions = fields.Function(lambda role: sorted(role.permission_set), required=True)


class AuditEntrySchema(ResponseSchema):
    """One audit entry."""

    id = UuidString(required=True)
    created_at = UtcDateTime(required=True, data_key="createdAt")
    actor_id = UuidString(data_key="actorId")
    actor = fields.String(required=True)
    action = fields.String(required=True)
    target_user_id = UuidString(data_key="userId")
    details = fields.Dict(required=True)
