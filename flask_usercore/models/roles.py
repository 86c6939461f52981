"""Roles with permissions, assigned to users, and the audit of the admin actions.

A role is a host-defined name (``editor``) with a set of permission strings
(``articles.publish``); a user holds the permissions of all its roles. The library defines
one permission itself: :data:`ADMIN_PERMISSION` (``usercore.admin``), which opens the admin
API (docs/admin.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

#: The permission of the admin API (``{prefix}/admin/...``).
ADMIN_PERMISSION = "usercore.admin"

#: Which user holds which role (deleted with either).
user_roles = Table(
    "usercore_user_roles", Base.metadata,
    Column("user_id", Uuid, ForeignKey("usercore_users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("role_id", Uuid, ForeignKey("usercore_roles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_usercore_user_roles_role_id", "role_id"),
)


class Role(Base):
    """A named role; ``permissions`` are space-separated permission strings."""

    __tablename__ = "usercore_roles"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    permissions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def permission_set(self) -> frozenset[str]:
        """The role's permissions as a set."""
        return frozenset(self.permissions.split()) if self.permissions else frozenset()

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class AdminAuditEntry(Base):
    """One admin action: who did it (``actor_id``, or None for the CLI; ``actor`` names
    them), what (``action``), to whom (``target_user_id``) and its ``details``. The ids are
    no foreign keys: the record outlives the accounts it names."""

    __tablename__ = "usercore_admin_audit"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_usercore_admin_audit_created_at", "created_at"),
                      Index("ix_usercore_admin_audit_target_user_id", "target_user_id"))
