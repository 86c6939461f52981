"""Commands of the password operations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChangePassword:
    """``PUT /v2/users/self/credentials/password``; the old password may come in the
    ``x-apitree-password`` header instead (the operation fills it in)."""

    new_password: str
    old_password: str | None = None
    multi_factor_code: str | None = None


@dataclass(frozen=True, slots=True)
class InitPasswordReset:
    """``POST .../actions/init-password-reset``."""

    email: str


@dataclass(frozen=True, slots=True)
class ConfirmPasswordReset:
    """``POST .../password/confirm-reset``."""

    password: str
    token: str
    user_id: uuid.UUID
