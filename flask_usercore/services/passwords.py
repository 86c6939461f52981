"""Password rules shared by registration, change and reset: policy check and hashing."""

from __future__ import annotations

from ..errors import ValidationFailed
from ..security.policy import POLICIES, check_password
from .context import Deps


def new_password_hash(deps: Deps, password: str, *, email: str,
                      names: tuple[str, ...] = (), path: str = ".password") -> str:
    """Check ``password`` against the configured policy and return its argon2id hash.

    Raises :class:`ValidationFailed` naming ``path`` with the policy's error type
    (``PasswordTooWeak``, ``PasswordEqualsEmail``, ``PasswordIsBlocked``).
    """
    policy = POLICIES[deps.config.password_policy]
    violation = check_password(policy, password, user_inputs=(email, *names))
    if violation:
        raise ValidationFailed.single(path, violation.type, violation.message)
    return deps.hasher.hash(password)
