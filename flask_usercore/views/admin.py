"""The admin API under ``{prefix}/admin/`` (docs/admin.md): for users holding the permission
``usercore.admin``, with a session, an API token created with the role ``usercore.admin``
or an OAuth2 token with the scope ``usercore.admin``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..commands.admin import AuditQuery, DisableUser, UserSearch
from ..models import ADMIN_PERMISSION, CredentialKind, Role, User
from ..schemas.admin import (
    AdminUserSchema,
    AuditEntrySchema,
    AuditQuerySchema,
    DisableSchema,
    RoleSchema,
    UserSearchQuery,
)
from ..services import admin, roles
from ..services.admin import Actor
from ..web import CapabilityBlueprint, Page, current_auth, deps

bp = CapabilityBlueprint("admin", __name__)
F = TypeVar("F", bound=Callable[..., Any])

#: The credential kinds that may call (each with its own limit, docs/admin.md).
ADMIN_KINDS = (CredentialKind.SESSION, CredentialKind.API_TOKEN, CredentialKind.OAUTH2)


def _admin(method: str, rule: str, **declared: Any) -> Callable[[F], F]:
    """Declare an admin operation: the kinds of :data:`ADMIN_KINDS` (an OAuth2 token with
    the scope ``usercore.admin``), whose user holds the permission ``usercore.admin``;
    tagged ``Admin``."""
    return bp.operation(method, rule, kinds=ADMIN_KINDS, scopes=(ADMIN_PERMISSION,),
                        permissions=(ADMIN_PERMISSION,), tags=("Admin",), **declared)


def _actor() -> Actor:
    return Actor.of(current_auth())


@_admin("GET", "/admin/users", operation_id="admin-list-users", query=UserSearchQuery,
              summary="List and search the accounts.", response=AdminUserSchema, many=True)
def list_users(query: UserSearch) -> Page:
    items, total = admin.search_users(deps(), query)
    return Page(items, total, query.limit, query.skip)


@_admin("GET", "/admin/users/<userId>", operation_id="admin-get-user",
              summary="Get one account.", response=AdminUserSchema, extra_statuses=(404,))
def get_user(userId: str) -> User:
    return admin.find_user(deps(), userId)


@_admin("POST", "/admin/users/<userId>/actions/disable",
              operation_id="admin-disable-user", status=204, body=DisableSchema,
              summary="Disable an account: no login, every session, API token and OAuth2 "
                      "grant ended.", extra_statuses=(404, 409))
def disable_user(userId: str, body: DisableUser) -> None:
    admin.disable_user(deps(), _actor(), admin.find_user(deps(), userId), body.reason)


@_admin("POST", "/admin/users/<userId>/actions/enable", operation_id="admin-enable-user",
              status=204, summary="Enable a disabled account.", extra_statuses=(404,))
def enable_user(userId: str) -> None:
    admin.enable_user(deps(), _actor(), admin.find_user(deps(), userId))


@_admin("DELETE", "/admin/users/<userId>/sessions", operation_id="admin-end-sessions",
              status=204, summary="End every session of an account.", extra_statuses=(404,))
def end_sessions(userId: str) -> None:
    admin.end_sessions(deps(), _actor(), admin.find_user(deps(), userId))


@_admin("DELETE", "/admin/users/<userId>/mfa", operation_id="admin-reset-mfa",
              status=204, summary="Turn MFA off for an account (sessions ended, user mailed).",
              extra_statuses=(404,))
def reset_mfa(userId: str) -> None:
    admin.reset_user_mfa(deps(), _actor(), admin.find_user(deps(), userId))


@_admin("PUT", "/admin/users/<userId>/roles/<roleName>", operation_id="admin-add-role",
              status=204, summary="Give an account a role.", extra_statuses=(404,))
def add_role(userId: str, roleName: str) -> None:
    admin.add_role(deps(), _actor(), admin.find_user(deps(), userId), roleName)


@_admin("DELETE", "/admin/users/<userId>/roles/<roleName>",
              operation_id="admin-remove-role", status=204,
              summary="Take a role from an account.", extra_statuses=(404,))
def remove_role(userId: str, roleName: str) -> None:
    admin.remove_role(deps(), _actor(), admin.find_user(deps(), userId), roleName)


@_admin("DELETE", "/admin/users/<userId>", operation_id="admin-delete-user", status=204,
              summary="Delete an account and all its data.", extra_statuses=(404, 409))
def delete_user(userId: str) -> None:
    admin.delete_user(deps(), _actor(), admin.find_user(deps(), userId))


@_admin("GET", "/admin/roles", operation_id="admin-list-roles",
              summary="List the roles and their permissions.", response=RoleSchema, many=True)
def list_roles() -> Page:
    found: Sequence[Role] = roles.list_roles(deps())
    return Page.whole(found)


@_admin("GET", "/admin/audit", operation_id="admin-list-audit", query=AuditQuerySchema,
              summary="List the recorded admin actions, newest first.",
              response=AuditEntrySchema, many=True)
def list_audit(query: AuditQuery) -> Page:
    items, total = admin.list_audit(deps(), query)
    return Page(items, total, query.limit, query.skip)
