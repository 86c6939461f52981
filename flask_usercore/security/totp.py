"""TOTP (RFC 6238: SHA1, 6 digits, 30 s) with pyotp, single use per time step, and the QR code
that authenticator apps scan (segno)."""

from __future__ import annotations

import base64
import io
import time
from urllib.parse import quote, urlencode

import pyotp

INTERVAL = 30
DIGITS = 6
ALGORITHM = "SHA1"


def new_secret() -> str:
    """A 160-bit base32 seed (32 characters)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI (Key URI format) that authenticator apps scan.

    The label is ``issuer:account``; algorithm, digits and period are spelled out, as in
    mittwald's example (``otpauth://totp/mStudio:test@gmail.com?algorithm=SHA1&digits=6
    &issuer=mStudio&period=30&secret=...``).
    """
    label = f"{quote(issuer, safe='@')}:{quote(account, safe='@')}"
    query = urlencode({"algorithm": ALGORITHM, "digits": DIGITS, "issuer": issuer,
                       "period": INTERVAL, "secret": secret}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_png(uri: str) -> bytes:
    """A PNG image of the QR code of ``uri`` (error correction M, 4 px per module, the
    standard 4-module quiet zone)."""
    import segno  # only the MFA set-up draws a QR code

    buffer = io.BytesIO()
    segno.make_qr(uri, error="m").save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def qr_png_base64(uri: str) -> str:
    """:func:`qr_png` base64-encoded, for ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(qr_png(uri)).decode("ascii")


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
