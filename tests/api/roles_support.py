"""Helpers of the roles and admin tests: roles given through the services, as a host's
setup script or ``flask usercore roles`` would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import Flask

from flask_usercore.models import ADMIN_PERMISSION, Role, User
from flask_usercore.services import roles
from flask_usercore.services.context import commit


def grant(app: Flask, user_id: str, role: str, permissions: Iterable[str] = ()) -> None:
    """Give the user ``role`` (made with ``permissions`` when it does not exist yet)."""
    with app.app_context():
        deps = app.extensions["usercore"].deps
        found = deps.session.query(Role).filter_by(name=role).first()
        if found is None:
            found = roles.create_role(deps, role, permissions=permissions)
        roles.assign_role(deps, deps.session.get(User, uuid.UUID(user_id)), found)
        commit(deps.session)


def make_admin(app: Flask, user_id: str) -> None:
    """Give the user the role ``admin`` with the permission ``usercore.admin``."""
    grant(app, user_id, "admin", [ADMIN_PERMISSION])
