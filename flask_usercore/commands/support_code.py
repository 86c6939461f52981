"""Command of the support code request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SupportCodeRequest:
    """``GET .../support-code?forceRecreate=true``: a new code even when one is live."""

    force_recreate: bool = False
