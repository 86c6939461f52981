"""The command of a body with no fields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Empty:
    """``{}``: the operation takes no input (logout, init-mfa, ...)."""
