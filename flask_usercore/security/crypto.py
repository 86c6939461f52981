"""Symmetric encryption of secrets that must be read back (TOTP seeds), with Fernet.

Key rotation: a box has the current key and any number of earlier ones (cryptography's
``MultiFernet``). It encrypts under the current key and decrypts what any of them made;
:meth:`SecretBox.rotated` re-encrypts an old ciphertext under the current key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"usercore-secret-box\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class SecretBox:
    """Encrypts and decrypts short secrets under keys derived from the configured secrets.

    ``secret_key`` encrypts; it and every key of ``fallbacks`` (older secrets, newest first)
    decrypt.
    """

    def __init__(self, secret_key: str, fallbacks: Iterable[str] = ()) -> None:
        self._current = _fernet(secret_key)
        self._any = MultiFernet([self._current, *(_fernet(key) for key in fallbacks)])

    def encrypt(self, plaintext: str) -> str:
        """``plaintext`` encrypted (and authenticated) under the current key."""
        return self._current.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; raises ``ValueError`` when no configured key made ``ciphertext``."""
        try:
            return self._any.decrypt(_ascii(ciphertext)).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured keys") from exc

    def rotated(self, ciphertext: str) -> str | None:
        """``ciphertext`` re-encrypted under the current key when an older key made it.

        None when it already is under the current key; ``ValueError`` like :meth:`decrypt`.
        """
        token = _ascii(ciphertext)
        try:
            self._current.decrypt(token)
        except InvalidToken:
            pass
        else:
            return None
        try:
            return self._any.rotate(token).decode("ascii")
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured keys") from exc


def _ascii(ciphertext: str) -> bytes:
    """A Fernet token is ASCII; anything else cannot be one (refused like a wrong token)."""
    try:
        return ciphertext.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("secret cannot be decrypted with the configured keys") from None
