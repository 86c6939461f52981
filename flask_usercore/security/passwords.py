"""argon2id password hashing (argon2-cffi), with rehash when the parameters change.

Passwords are hashed in Unicode NFKC, so that the same password typed on another keyboard or
pasted from another source (``ﬁ`` or ``fi``, full-width digits, a composed or decomposed
``é``) is the same password.
"""

from __future__ import annotations

import base64
import secrets
import unicodedata

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

#: The start of the ``password_hash`` of an account without a password (made by a sign-up
#: through a provider): no password matches it.
UNUSABLE_PREFIX = "!"


def unusable_password(marker: str) -> str:
    """The ``password_hash`` of an account without a password (``marker``: a random token,
    so that a remembered first factor bound to the hash stays unguessable)."""
    return UNUSABLE_PREFIX + marker


def has_password(password_hash: str) -> bool:
    """The account has a password (its hash is not :func:`unusable_password`'s)."""
    return not password_hash.startswith(UNUSABLE_PREFIX)


class PasswordHasher:
    """Hashes and verifies passwords with argon2id.

    ``verify_dummy`` spends the same time as a real verify, so that a login for an unknown
    e-mail address costs what a login with a wrong password costs. Its hash is written, not
    computed: a PHC string with the current parameters, a random salt and a random digest,
    which no password matches and whose verify costs exactly one real one. So building a
    hasher (every worker does at start) allocates none of argon2's memory (19 MiB by default).
    """

    def __init__(self, *, time_cost: int = 2, memory_cost: int = 19 * 1024,
                 parallelism: int = 1) -> None:
        self._argon2 = _Argon2(time_cost=time_cost, memory_cost=memory_cost,
                               parallelism=parallelism, type=Type.ID)
        self._dummy = self._unmatchable_hash()

    def _unmatchable_hash(self) -> str:
        """An argon2id PHC string with the current parameters and random salt and digest."""
        def encoded(size: int) -> str:
            return base64.b64encode(secrets.token_bytes(size)).decode("ascii").rstrip("=")

        argon2 = self._argon2
        return (f"$argon2id$v=19$m={argon2.memory_cost},t={argon2.time_cost},"
                f"p={argon2.parallelism}${encoded(argon2.salt_len)}${encoded(argon2.hash_len)}")

    def hash(self, password: str) -> str:
        """Return the PHC string of ``password`` in NFKC."""
        return self._argon2.hash(unicodedata.normalize("NFKC", password))

    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches ``password_hash``; never raises for a bad hash.

        The NFKC form is tried first; when it differs from ``password`` and fails, the raw
        string is tried too, so that hashes made before passwords were normalized still match.
        """
        normalized = unicodedata.normalize("NFKC", password)
        if self._verify(password_hash, normalized):
            return True
        return normalized != password and self._verify(password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        if password_hash.startswith(UNUSABLE_PREFIX):  # no password: a verify's time, no match
            self.verify_dummy(password)
            return False
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, password: str) -> None:
        """Spend one verify's time on a hash that never matches."""
        self.verify(self._dummy, password + "\x00")

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
