"""One-time codes read by people (sent by mail or SMS) and MFA recovery codes, stored as
keyed hashes.

A short code has little entropy, so its hash is an HMAC under the server's secret: a stolen
database alone does not let anyone recover or forge a code. Callers bound the number of
guesses per code (``code_max_attempts``). Codes and recovery codes made under an earlier
key (``USERCORE_SECRET_KEY_FALLBACKS``) are checked against every key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable

CODE_DIGITS = 8

#: Recovery codes: upper-case letters and digits without the look-alikes 0/O and 1/I/L.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 16 characters of 31 symbols: 16 * log2(31) = 79.3 bits of entropy per code.
RECOVERY_CODE_LENGTH = 16
#: Characters a person may put between the groups of a recovery code; ignored.
_RECOVERY_SEPARATORS = str.maketrans("", "", " -_.\t")


def new_code(digits: int = CODE_DIGITS) -> str:
    """A random numeric code, e.g. ``"40918273"``."""
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def new_recovery_code() -> str:
    """A random recovery code of :data:`RECOVERY_CODE_LENGTH` characters of
    :data:`RECOVERY_ALPHABET`, e.g. ``"K7QM3XWP9TRB4HNC"``."""
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def normalize_recovery_code(code: str) -> str:
    """``code`` as stored: separators (space, ``-``, ``_``, ``.``, tab) removed, upper case.

    The alphabet has a single case, so ``"k7qm-3xwp 9trb-4hnc"`` is ``"K7QM3XWP9TRB4HNC"``.
    Only ASCII is upper-cased (``"ß".upper()`` is ``"SS"``): other text stays as it is and
    matches no code.
    """
    stripped = code.translate(_RECOVERY_SEPARATORS)
    return stripped.upper() if stripped.isascii() else stripped


def hash_code(key: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 of ``code`` bound to ``purpose``, hex encoded."""
    message = f"{purpose}\x00{code}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def hash_code_all(keys: Iterable[str], purpose: str, code: str) -> list[str]:
    """:func:`hash_code` of ``code`` under each of ``keys`` (current key first, then the
    fallbacks), to look up a hash stored under any of them."""
    return [hash_code(key, purpose, code) for key in keys]


def codes_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two code hashes."""
    return hmac.compare_digest(a, b)


def code_matches(stored: str, keys: Iterable[str], purpose: str, code: str) -> bool:
    """Whether ``stored`` is the hash of ``code`` under any of ``keys`` (key rotation).

    Every key is compared, in constant time each.
    """
    return any([codes_equal(stored, digest) for digest in hash_code_all(keys, purpose, code)])
