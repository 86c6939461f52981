"""Commands of the e-mail address operations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChangeEmail:
    """``PUT .../credentials/email``; the confirming password may come in the
    ``x-apitree-password`` header instead (the operation fills it in)."""

    email: str
    password: str | None = None


@dataclass(frozen=True, slots=True)
class ResendEmail:
    """``POST .../email/actions/resend-email``."""

    email: str
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class VerifyEmail:
    """``POST .../email/actions/verify-email``."""

    email: str
    token: str | None = None
