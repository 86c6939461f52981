"""Roles and permissions (docs/roles.md): create and list roles, assign them to users, and
the check of ``auth_required(roles=, permissions=)`` and the admin API
(:func:`check_roles`).

A role is a host-defined name with a set of permission strings; a user holds the
permissions of all its roles. Roles belong to users: an API token's roles (``api_read``,
``api_write``) and an OAuth2 token's scopes stay limits on the credential. The admin
permission (:data:`~flask_usercore.models.ADMIN_PERMISSION`) is gated twice: an API token
must have been created with the role ``usercore.admin``, an OAuth2 token must carry the scope
``usercore.admin`` (:data:`CREDENTIAL_GATED`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..errors import (
    N_,
    Conflict,
    InsufficientScope,
    Message,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from ..models import ADMIN_PERMISSION, CredentialKind, Role, User
from ..models.roles import user_roles
from .context import Auth, Deps

#: Permissions a credential other than a session must carry itself (an API token among its
#: roles, an OAuth2 token among its scopes) besides its user holding them.
CREDENTIAL_GATED = frozenset({ADMIN_PERMISSION})
#: A role or permission name: letters, digits and ``._:-``, 1 to 80 characters.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")


def _checked_names(names: Iterable[str], what: str) -> list[str]:
    names = list(dict.fromkeys(names))
    bad = [name for name in names if not NAME.fullmatch(name)]
    if bad:
        message = (N_("not a valid role name: %(names)s (letters, digits and ._:- only)")
                   if what == "roles" else
                   N_("not a valid permission name: %(names)s (letters, digits and ._:- only)"))
        raise ValidationFailed.on(what, "InvalidName", Message(message, names=", ".join(bad)))
    return names


def check_roles(auth: Auth, *, roles: Collection[str] = (),
                permissions: Collection[str] = ()) -> None:
    """Raise unless the caller's user holds every role in ``roles`` and every permission
    in ``permissions``, and its credential may use the gated ones (:data:`CREDENTIAL_GATED`).

    403 ``PermissionDenied`` naming what is missing; for an OAuth2 token without the scope
    of a gated permission, the 403 of ``insufficient_scope``.
    """
    if not roles and not permissions:
        return
    gated = CREDENTIAL_GATED.intersection(permissions)
    if gated and auth.kind == CredentialKind.OAUTH2 and not gated <= auth.scopes:
        raise InsufficientScope(sorted(gated))
    if gated and auth.kind == CredentialKind.API_TOKEN and not gated <= auth.scopes:
        raise PermissionDenied(permissions=gated, message=N_(
            "this API token was not created with the role %(roles)s",
            roles=" ".join(sorted(gated))))
    user = auth.user
    missing_roles = set(roles) - user.role_names
    missing_permissions = set(permissions) - user.permissions
    if missing_roles or missing_permissions:
        raise PermissionDenied(missing_roles, missing_permissions)


def find_role(deps: Deps, name: str) -> Role:
    """The role named ``name``; 404 when there is none."""
    role = deps.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        raise NotFound(N_("there is no role %(name)s", name=name))
    return role


def list_roles(deps: Deps) -> Sequence[Role]:
    """Every role, by name."""
    return deps.session.scalars(select(Role).order_by(Role.name)).all()


def holders(deps: Deps, role: Role) -> int:
    """How many users hold ``role``."""
    return int(deps.session.scalar(select(func.count()).select_from(user_roles)
                                   .where(user_roles.c.role_id == role.id)) or 0)


def create_role(deps: Deps, name: str, *, permissions: Iterable[str] = (),
                description: str | None = None) -> Role:
    """A new role; 409 ``Conflict`` when the name is taken, 400 for a bad name."""
    _checked_names([name], "names")
    granted = _checked_names(permissions, "permissions")
    if deps.session.scalar(select(Role.id).where(Role.name == name)) is not None:
        raise Conflict(N_("there is a role %(name)s already", name=name))
    role = Role(name=name, permissions=" ".join(sorted(granted)), description=description)
    deps.session.add(role)
    try:
        deps.session.flush()
    except IntegrityError:  # a concurrent creation of the same name
        raise Conflict(N_("there is a role %(name)s already", name=name)) from None
    return role


def set_permissions(deps: Deps, role: Role, *, add: Iterable[str] = (),
                    remove: Iterable[str] = ()) -> frozenset[str]:
    """Grant ``add`` and withdraw ``remove`` on ``role``; its permissions after."""
    granted = (role.permission_set | set(_checked_names(add, "permissions"))) - set(remove)
    role.permissions = " ".join(sorted(granted))
    return frozenset(granted)


def delete_role(deps: Deps, role: Role) -> None:
    """Delete ``role``; its holders lose it."""
    deps.session.execute(delete(user_roles).where(user_roles.c.role_id == role.id))
    deps.session.delete(role)
    deps.session.flush()


def assign_role(deps: Deps, user: User, role: Role) -> bool:
    """Give ``user`` the role; False when it held it already."""
    if user.has_role(role):
        return False
    try:  # a savepoint: a concurrent assignment of the same role wins, this one is a no-op
        with deps.session.begin_nested():
            deps.session.execute(insert(user_roles).values(user_id=user.id, role_id=role.id,
                                                           created_at=deps.clock()))
    except IntegrityError:
        return False
    finally:
        deps.session.expire(user, ["roles"])
    return True


def withdraw_role(deps: Deps, user: User, role: Role) -> bool:
    """Take the role from ``user``; False when it did not hold it."""
    result = deps.session.execute(delete(user_roles).where(
        user_roles.c.user_id == user.id, user_roles.c.role_id == role.id))
    deps.session.expire(user, ["roles"])
    return bool(getattr(result, "rowcount", 0))


def users_with_role(deps: Deps, role: Role) -> Sequence[uuid.UUID]:
    """The ids of the users holding ``role``."""
    return deps.session.scalars(select(user_roles.c.user_id)
                                .where(user_roles.c.role_id == role.id)).all()
