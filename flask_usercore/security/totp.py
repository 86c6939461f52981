"""TOTP (RFC 6238: SHA1, 6 digits, 30 s) with pyotp, single use per time step."""

from __future__ import annotations

import time

import pyotp

INTERVAL = 30
DIGITS = 6


def new_secret() -> str:
    """A 160-bit base32 seed (32 characters)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI that authenticator apps scan."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer)


def matching_step(secret: str, code: str, *, last_step: int | None,
                  now: float | None = None, window: int = 1) -> int | None:
    """The time step ``code`` is valid for (within +-``window`` steps), or None.

    A step at or before ``last_step`` is refused, so every code works only once.
    """
    if not (len(code) == DIGITS and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int((time.time() if now is None else now) // INTERVAL)
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if totp.verify(code, for_time=step * INTERVAL, valid_window=0):
            return step
    return None
