"""Symmetric encryption of secrets that must be read back (TOTP seeds), with Fernet.

Key rotation: a box has the current key and any number of earlier ones (cryptography's
``MultiFernet``). It encrypts under the current key and decrypts what any of them made;
:meth:`SecretBox.rotated` re-encrypts an old ciphertext under the current key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography (about 8 MiB per process) is imported on first use
    from cryptography.fernet import Fernet, MultiFernet


def _fernet(secret_key: str) -> Fernet:
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(b"usercore-secret-box\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _invalid_token() -> type[Exception]:
    from cryptography.fernet import InvalidToken

    return InvalidToken


class SecretBox:
    """Encrypts and decrypts short secrets under keys derived from the configured secrets.

    ``secret_key`` encrypts; it and every key of ``fallbacks`` (older secrets, newest first)
    decrypt. The keys are derived when the box is first used: an app whose requests never
    touch a TOTP seed never loads cryptography.
    """

    def __init__(self, secret_key: str, fallbacks: Iterable[str] = ()) -> None:
        self._secret_key = secret_key
        self._fallbacks = tuple(fallbacks)

    @functools.cached_property
    def _current(self) -> Fernet:
        return _fernet(self._secret_key)

    @functools.cached_property
    def _any(self) -> MultiFernet:
        from cryptography.fernet import MultiFernet

        return MultiFernet([self._current, *(_fernet(key) for key in self._fallbacks)])

    def encrypt(self, plaintext: str) -> str:
        """``plaintext`` encrypted (and authenticated) under the current key."""
        return self._current.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; raises ``ValueError`` when no configured key made ``ciphertext``."""
        try:
            return self._any.decrypt(_ascii(ciphertext)).decode()
        except _invalid_token() as exc:
            raise ValueError("secret cannot be decrypted with the configured keys") from exc

    def rotated(self, ciphertext: str) -> str | None:
        """``ciphertext`` re-encrypted under the current key when an older key made it.

        None when it already is under the current key; ``ValueError`` like :meth:`decrypt`.
        """
        token = _ascii(ciphertext)
        try:
            self._current.decrypt(token)
        except _invalid_token():
            pass
        else:
            return None
        try:
            return self._any.rotate(token).decode("ascii")
        except _invalid_token() as exc:
            raise ValueError("secret cannot be decrypted with the configured keys") from exc


def _ascii(ciphertext: str) -> bytes:
    """A Fernet token is ASCII; anything else cannot be one (refused like a wrong token)."""
    try:
        return ciphertext.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("secret cannot be decrypted with the configured keys") from None
