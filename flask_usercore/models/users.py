"""The ``usercore_users`` table: mittwald's ``User`` plus the APITree Profile columns."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, String, Uuid, func
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..security import identity
from .base import Base, UTCDateTime, utcnow
from .mfa import MfaSecret
from .roles import Role, user_roles

#: Casefolding can turn one character into three (``ΐ``), so the key may outgrow the address.
EMAIL_KEY_LENGTH = 3 * 254


def _email_key_default(context: DefaultExecutionContext) -> str:
    """The key of a Core ``INSERT`` that gave the address only (the ORM sets both)."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return identity.email_key(parameters["email"])


class User(Base):
    """An account. The e-mail address is unique by its key, the nickname ignoring case.

    ``email`` is the address as the user typed it (shown as is); ``email_key`` is its
    :func:`~flask_usercore.security.identity.email_key`, kept in step by the ORM whenever
    ``email`` is set, and the only column that lookups and the unique index use.
    """

    __tablename__ = "usercore_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(EMAIL_KEY_LENGTH), default=_email_key_default)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(8))
    nickname: Mapped[str | None] = mapped_column(String(60))
    display_name: Mapped[str | None] = mapped_column(String(120))
    company: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    web_url: Mapped[str | None] = mapped_column(String(2048))
    picture_url: Mapped[str | None] = mapped_column(String(2048))
    account_type: Mapped[str] = mapped_column(String(16), default="user")
    phone_number: Mapped[str | None] = mapped_column(String(32))
    avatar_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When an admin disabled the account (None: enabled); a disabled account cannot log in.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    #: The user's roles (docs/roles.md): loaded with the token when a check needs them,
    #: else on first access.
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="select",
                                             order_by=Role.name)
    mfa: Mapped[MfaSecret | None] = relationship(
        primaryjoin=lambda: User.id == MfaSecret.user_id,
        foreign_keys=lambda: [MfaSecret.user_id], uselist=False, viewonly=True, lazy="select")

    __table_args__ = (
        Index("uq_usercore_users_email_key", email_key, unique=True),
        Index("uq_usercore_users_nickname_lower", func.lower(nickname), unique=True),
    )

    @validates("email")
    def _set_email_key(self, name: str, address: str) -> str:
        self.email_key = identity.email_key(address)
        return address

    @property
    def disabled(self) -> bool:
        """An admin disabled the account."""
        return self.disabled_at is not None

    @property
    def role_names(self) -> frozenset[str]:
        """The names of the user's roles."""
        return frozenset(role.name for role in self.roles)

    @property
    def permissions(self) -> frozenset[str]:
        """Every permission of every role of the user."""
        return frozenset().union(*(role.permission_set for role in self.roles))

    def has_role(self, role: str | Role) -> bool:
        """Whether the user holds ``role`` (a name or a :class:`Role`)."""
        name = role.name if isinstance(role, Role) else role
        return any(held.name == name for held in self.roles)

    def has_permission(self, permission: str) -> bool:
        """Whether one of the user's roles grants ``permission``."""
        return any(permission in role.permission_set for role in self.roles)

    @property
    def mfa_setup(self) -> bool:
        """An MFA secret was generated (init-mfa was called)."""
        return self.mfa is not None

    @property
    def mfa_active(self) -> bool:
        """MFA is confirmed and guards login and sensitive changes."""
        return self.mfa is not None and self.mfa.confirmed_at is not None


