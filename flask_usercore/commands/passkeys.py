"""Commands of the passkey operations (docs/passkeys.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RegisterPasskey:
    """``POST {prefix}/users/self/passkeys``: the browser's ``PublicKeyCredential`` of
    ``navigator.credentials.create()`` as JSON (``toJSON()``), and a name."""

    credential: dict[str, Any]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RenamePasskey:
    """``PUT {prefix}/users/self/passkeys/{passkeyId}``."""

    name: str


@dataclass(frozen=True, slots=True)
class PasskeyLoginOptions:
    """``POST {prefix}/authenticate-passkey/options``: without ``email`` a discoverable
    sign-in (the browser offers the passkeys it holds for the site)."""

    email: str | None = None


@dataclass(frozen=True, slots=True)
class PasskeyLogin:
    """``POST {prefix}/authenticate-passkey``: the ``navigator.credentials.get()``
    credential as JSON."""

    credential: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PasskeySecondFactorOptions:
    """``POST {prefix}/authenticate-mfa-passkey/options``: the first factor again."""

    email: str
    password: str


@dataclass(frozen=True, slots=True)
class PasskeySecondFactor:
    """``POST {prefix}/authenticate-mfa-passkey``: the first factor again and the
    assertion."""

    email: str
    password: str
    credential: dict[str, Any]
