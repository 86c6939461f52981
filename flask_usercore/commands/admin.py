"""Commands of the admin API (docs/admin.md): the user search, the audit query, and the
reason of a disable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserSearch:
    """``GET {prefix}/admin/users``: ``q`` (a part of the e-mail address, a name or the
    nickname, any case), ``disabled`` (only disabled or only enabled accounts) and ``role``
    (only holders of the role), one page of ``limit`` after ``skip``."""

    limit: int
    skip: int
    q: str | None = None
    disabled: bool | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """``GET {prefix}/admin/audit``: the entries about ``user_id`` and/or of ``action``,
    newest first, one page."""

    limit: int
    skip: int
    user_id: uuid.UUID | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class DisableUser:
    """``POST {prefix}/admin/users/{userId}/actions/disable``: an optional ``reason``,
    kept in the audit."""

    reason: str | None = None
