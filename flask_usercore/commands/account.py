"""Command of the account's deletion."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeleteAccount:
    """``DELETE /v2/users/self``; the password may come in the ``x-apitree-password``
    header instead (the operation fills it in)."""

    password: str | None = None
    multi_factor_code: str | None = None
