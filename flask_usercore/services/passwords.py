"""Password rules shared by registration, change and reset: the policy, hashing, and what a
new password ends (reset codes, sessions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import update

from ..errors import N_, FieldError, NotFound, ValidationFailed
from ..models import CodePurpose, OneTimeCode, User
from ..security.policy import PasswordPolicy
from .context import Deps, after_commit


class _PasswordHolder(Protocol):
    """A user, or its login row: what a password check reads."""

    @property
    def password_hash(self) -> str: ...


_Found = TypeVar("_Found", bound=_PasswordHolder)


def verify_password(deps: Deps, account: str, password: str,
                    find: Callable[[], _Found | None]) -> _Found | None:
    """What ``find`` gives (a user, or its login row) when ``password`` is its password,
    else None: the one password check under the per-account lockout.

    The attempt takes its slot of the account's lockout first
    (:meth:`~flask_usercore.runtime.lockout.Lockout.attempt`): while ``account`` (an e-mail
    key) is locked, or when parallel attempts took every slot, 429 before ``find`` is called
    or anything compared (the right password too). One argon2 verify whether or not
    ``find`` found anything (a dummy one when not). A mismatch keeps its slot as a failure
    of the account; a match gives it back, and forgets nothing else: the operation does
    that once it completed (:func:`forget_failures`).
    """
    attempt = deps.lockout.attempt(account)
    try:
        found = find()
        if found is None:
            deps.hasher.verify_dummy(password)
        elif deps.hasher.verify(found.password_hash, password):
            deps.lockout.passed(attempt)
            return found
    except BaseException:  # not compared: no failure
        deps.lockout.passed(attempt)
        raise
    return None


def forget_failures(deps: Deps, account: str) -> None:
    """Forget the account's failed passwords and codes once the operation has committed (a
    completed login or confirmation)."""
    after_commit(deps, lambda: deps.lockout.succeeded(account))


def check_current_password(deps: Deps, user: User, password: str, *,
                           field: str = "password") -> None:
    """Pass when ``password`` is the user's password, else 400 ``WrongPassword`` on the
    command field ``field`` (:func:`verify_password`: counted, 429 while locked)."""
    if verify_password(deps, user.email_key, password, lambda: user) is None:
        raise ValidationFailed.on(field, "WrongPassword", N_("the password is wrong"))


def enforced_policy(deps: Deps) -> PasswordPolicy:
    """The app's policy named by ``USERCORE_PASSWORD_POLICY`` (checked at start-up)."""
    policy = deps.policies.get(deps.config.password_policy)
    if policy is None:  # a registry that is not the one init_app checked
        raise RuntimeError(f"password policy {deps.config.password_policy!r} is not registered")
    return policy


def policy_document(deps: Deps, name: str) -> dict[str, Any]:
    """The JSON document of the app's policy registered as ``name``; 404 when there is none."""
    policy = deps.policies.get(name)
    if policy is None:
        raise NotFound(N_("no password policy named %(name)s", name=repr(name)))
    return policy.to_json()


def check_new_password(deps: Deps, password: str, *, email: str,
                       names: tuple[str | None, ...] = (), field: str = "password") -> None:
    """Raise :class:`ValidationFailed` on the command field ``field`` unless ``password``
    passes the enforced policy for a user with ``email`` and ``names`` (first and last name,
    nickname).

    The error's type is the policy's (``PasswordTooWeak``, ``PasswordIsLeaked``,
    ``PasswordEqualsEmail``, ``PasswordIsBlocked``); its ``context`` names the rule that
    failed (``ruleType``, and ``identifier`` when the policy gives one).
    """
    violation = enforced_policy(deps).check(password, email=email,
                                            user_inputs=[n for n in names if n])
    if violation:
        raise ValidationFailed([FieldError("", violation.message, violation.type,
                                           violation.context(), field=field)],
                               violation.message)


def new_password_hash(deps: Deps, password: str, *, email: str,
                      names: tuple[str | None, ...] = (), field: str = "password") -> str:
    """Check ``password`` against the enforced policy (:func:`check_new_password`) and return
    its argon2id hash."""
    check_new_password(deps, password, email=email, names=names, field=field)
    return deps.hasher.hash(password)


def personal_names(user: User) -> tuple[str | None, ...]:
    """The user's words a password must not be built from (besides the e-mail address)."""
    return (user.first_name, user.last_name, user.nickname, user.display_name)


def set_password(deps: Deps, user: User, password: str, *, field: str = "password") -> None:
    """Give ``user`` the policy-checked ``password`` (:func:`store_password_hash`); a refusal
    names the command field ``field``."""
    store_password_hash(deps, user, new_password_hash(deps, password, email=user.email,
                                                      names=personal_names(user), field=field))


def store_password_hash(deps: Deps, user: User, password_hash: str) -> None:
    """Store a new password hash for ``user`` and stamp ``password_updated_at``; every live
    password-reset code of the user stops working (a reset link dies when the password
    changes by any path)."""
    user.password_hash = password_hash
    user.password_updated_at = deps.clock()
    void_reset_codes(deps, user)


def void_reset_codes(deps: Deps, user: User) -> None:
    """Every live password-reset code of ``user`` stops working (a new password, or a new
    address: a link mailed to the old one must die)."""
    deps.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.PASSWORD_RESET,
               OneTimeCode.used_at.is_(None))
        .values(used_at=deps.clock())
        .execution_options(synchronize_session=False))
