"""Password rules shared by registration, change and reset: the policy, hashing, and what a
new password ends (reset codes, sessions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from ..errors import FieldError, NotFound, ValidationFailed
from ..models import CodePurpose, OneTimeCode, User
from ..security.policy import PasswordPolicy, get_policy
from .context import Deps


def enforced_policy(deps: Deps) -> PasswordPolicy:
    """The policy named by ``USERCORE_PASSWORD_POLICY`` (checked at start-up)."""
    policy = get_policy(deps.config.password_policy)
    if policy is None:  # unregistered after start-up
        raise RuntimeError(f"password policy {deps.config.password_policy!r} is not registered")
    return policy


def policy_document(name: str) -> dict[str, Any]:
    """The JSON document of the policy registered as ``name``; 404 when there is none."""
    policy = get_policy(name)
    if policy is None:
        raise NotFound(f"no password policy named {name!r}")
    return policy.to_json()


def check_new_password(deps: Deps, password: str, *, email: str,
                       names: tuple[str | None, ...] = (), path: str = ".password") -> None:
    """Raise :class:`ValidationFailed` naming ``path`` unless ``password`` passes the enforced
    policy for a user with ``email`` and ``names`` (first and last name, nickname).

    The error's type is the policy's (``PasswordTooWeak``, ``PasswordIsLeaked``,
    ``PasswordEqualsEmail``, ``PasswordIsBlocked``); its ``context`` names the rule that
    failed (``ruleType``, and ``identifier`` when the policy gives one).
    """
    violation = enforced_policy(deps).check(password, email=email,
                                            user_inputs=[n for n in names if n])
    if violation:
        raise ValidationFailed([FieldError(path, violation.message, violation.type,
                                           violation.context())], violation.message)


def new_password_hash(deps: Deps, password: str, *, email: str,
                      names: tuple[str | None, ...] = (), path: str = ".password") -> str:
    """Check ``password`` against the enforced policy (:func:`check_new_password`) and return
    its argon2id hash."""
    check_new_password(deps, password, email=email, names=names, path=path)
    return deps.hasher.hash(password)


def personal_names(user: User) -> tuple[str | None, ...]:
    """The user's words a password must not be built from (besides the e-mail address)."""
    return (user.first_name, user.last_name, user.nickname, user.display_name)


def set_password(deps: Deps, user: User, password: str, *, path: str = ".password") -> None:
    """Give ``user`` the policy-checked ``password`` (:func:`store_password_hash`)."""
    store_password_hash(deps, user, new_password_hash(deps, password, email=user.email,
                                                      names=personal_names(user), path=path))


def store_password_hash(deps: Deps, user: User, password_hash: str) -> None:
    """Store a new password hash for ``user`` and stamp ``password_updated_at``; every live
    password-reset code of the user stops working (a reset link dies when the password
    changes by any path)."""
    user.password_hash = password_hash
    user.password_updated_at = deps.clock()
    deps.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.PASSWORD_RESET,
               OneTimeCode.used_at.is_(None))
        .values(used_at=user.password_updated_at)
        .execution_options(synchronize_session=False))
