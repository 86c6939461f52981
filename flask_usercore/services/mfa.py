"""The second factor that guards login and sensitive changes (a TOTP code or a recovery code),
and the first factor remembered between ``/v2/authenticate`` (202) and ``/v2/authenticate-mfa``.

Setting MFA up, replacing the recovery codes and turning MFA off are in
:mod:`flask_usercore.services.mfa_setup`.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import delete, func, or_, select, update

from .. import signals
from ..errors import N_, SecondFactorRequired, ValidationFailed
from ..models import MfaSecret, OneTimeCode, RecoveryCode, User
from ..security import totp
from ..security.codes import code_matches, hash_code, hash_code_all, normalize_recovery_code
from .context import Deps, after_commit, expiry, send_mail

RECOVERY_PURPOSE = "recovery"
#: ``usercore_one_time_codes.purpose`` of a remembered first factor.
FIRST_FACTOR_PURPOSE = "mfa_first_factor"
#: The command field of the code, in every command that carries one.
CODE_FIELD = "multi_factor_code"
#: ``validationErrors[].type`` of a wrong code at login, password change, account deletion.
CODE_NOT_VALID = "MfaCodeNotValid"

logger = logging.getLogger("flask_usercore")


class Factor(enum.StrEnum):
    """Which second factor a check accepted."""

    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


def check_second_factor(deps: Deps, user: User, code: str | None, *,
                        field: str = CODE_FIELD, error_type: str = CODE_NOT_VALID,
                        announce: bool = True) -> Factor | None:
    """Pass when the user has no active MFA or ``code`` is a fresh TOTP or unused recovery code.

    Returns the factor used (None without active MFA). Raises :class:`SecondFactorRequired`
    (202) when the code is missing and :class:`ValidationFailed` ``error_type`` on the
    command field ``field`` when it is wrong. Each code works once (see :func:`verify_code`).
    ``announce``: tell the user (signal and mail) when a recovery code was used, and how many
    are left.
    """
    mfa = user.mfa
    if not user.mfa_active or mfa is None:
        return None
    if not code:
        raise SecondFactorRequired()
    return verify_code(deps, user, mfa, code, field=field, error_type=error_type,
                       announce=announce)


def verify_code(deps: Deps, user: User, mfa: MfaSecret, code: str, *, field: str = CODE_FIELD,
                error_type: str = CODE_NOT_VALID, announce: bool = True) -> Factor:
    """Use ``code`` as the TOTP code of ``mfa`` or as one of the user's recovery codes, once:
    the one second-factor check under the per-account lockout.

    A TOTP code is accepted one time step early or late, and only for a step after the last
    one used; a recovery code only while unused. A wrong code counts as a failure of the
    account (:class:`~flask_usercore.runtime.lockout.Lockout`: its slot is taken before the
    comparison, so parallel codes are refused beyond the threshold) and sends ``mfa-failed``,
    then raises :class:`ValidationFailed` ``error_type`` on the command field ``field``;
    while the account is locked every code is refused with 429 before it is compared. A
    success forgets nothing: the operation does that once it completed
    (:func:`~.passwords.forget_failures`).
    """
    attempt = deps.lockout.attempt(user.email_key)  # its slot, before the comparison
    try:
        factor = (Factor.TOTP if use_totp(deps, mfa, code)
                  else Factor.RECOVERY_CODE if _use_recovery_code(deps, user, code) else None)
    except BaseException:  # not compared: no failure
        deps.lockout.passed(attempt)
        raise
    if factor is not None:
        deps.lockout.passed(attempt)
        if factor is Factor.RECOVERY_CODE and announce:
            _announce_recovery_code(deps, user)
        return factor
    signals.mfa_failed.send(deps.sender, user=user)
    raise ValidationFailed.on(field, error_type, N_("the multi factor code is not valid"))


def use_totp(deps: Deps, mfa: MfaSecret, code: str) -> bool:
    """Use ``code`` as the TOTP code of ``mfa``, once; re-encrypt a seed made under an old key.

    Counts nothing itself (:func:`verify_code` does): the set-up's confirmation, whose code
    is no second factor yet, calls it alone.

    A seed that no configured key decrypts (the secret key changed without a fallback) is
    logged and matches no code: the recovery codes still work.
    """
    try:
        secret = deps.box.decrypt(mfa.secret_encrypted)
    except ValueError:
        logger.error("the TOTP secret of user %s cannot be decrypted with the configured keys "
                     "(USERCORE_SECRET_KEY changed without USERCORE_SECRET_KEY_FALLBACKS?); "
                     "only recovery codes work for this account", mfa.user_id)
        return False
    step = totp.matching_step(secret, code, last_step=mfa.last_used_step,
                              now=deps.clock().timestamp())
    if step is None:
        return False
    values: dict[str, object] = {"last_used_step": step}
    rotated = deps.box.rotated(mfa.secret_encrypted)
    if rotated is not None:
        values["secret_encrypted"] = rotated
    used = deps.session.execute(
        update(MfaSecret)
        .where(MfaSecret.user_id == mfa.user_id,
               or_(MfaSecret.last_used_step.is_(None), MfaSecret.last_used_step < step))
        .values(values))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _use_recovery_code(deps: Deps, user: User, code: str) -> bool:
    """Use ``code`` (any case, separators ignored) as one of the user's unused recovery codes,
    made under any configured key."""
    digests = hash_code_all(deps.config.secret_keys, RECOVERY_PURPOSE,
                            normalize_recovery_code(code))
    row_id = deps.session.scalar(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.code_hash.in_(digests),
                                      RecoveryCode.used_at.is_(None)))
    if row_id is None:
        return False
    used = deps.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=deps.clock()))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def unused_recovery_codes(deps: Deps, user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return deps.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _announce_recovery_code(deps: Deps, user: User) -> None:
    """After the commit: the ``recovery-code-used`` signal and the mail that says how many
    codes are left."""
    remaining = unused_recovery_codes(deps, user)
    send_mail(deps, "mfa-recovery-code-used", user.email, user=user, remaining=remaining)
    after_commit(deps, lambda: signals.recovery_code_used.send(deps.sender, user=user,
                                                               remaining=remaining))


def _first_factor(user: User) -> str:
    """What a remembered first factor is bound to: the account and its current password hash
    (a password change in between voids it)."""
    return f"{user.id}\x00{user.password_hash}"


def remember_first_factor(deps: Deps, user: User) -> None:
    """Remember that ``user`` gave the right password, for ``USERCORE_MFA_FIRST_FACTOR_TTL``
    seconds, replacing an earlier one: a keyed hash in ``usercore_one_time_codes``.

    Called on the 202 of ``/v2/authenticate``; the operation commits it with its answer.
    """
    now = deps.clock()
    deps.session.execute(delete(OneTimeCode).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == FIRST_FACTOR_PURPOSE))
    deps.session.add(OneTimeCode(
        user_id=user.id, purpose=FIRST_FACTOR_PURPOSE, created_at=now,
        code_hash=hash_code(deps.config.secret_key, FIRST_FACTOR_PURPOSE, _first_factor(user)),
        expires_at=expiry(now, deps.config.mfa_first_factor_ttl)))


def use_first_factor(deps: Deps, user: User) -> bool:
    """Use the first factor remembered for ``user``, once; False when there is none, it
    expired, the password changed since, or a concurrent request used it.

    Single use is a conditional DELETE: of two racing requests one deletes the row, the other
    finds it gone. A failing request rolls the DELETE back, so a mistyped code can be tried
    again until the first factor expires (wrong codes count against the account).
    """
    row = deps.session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == FIRST_FACTOR_PURPOSE,
               OneTimeCode.expires_at > deps.clock())
        .order_by(OneTimeCode.created_at.desc()).limit(1)).first()
    if row is None or not code_matches(row.code_hash, deps.config.secret_keys,
                                       FIRST_FACTOR_PURPOSE, _first_factor(user)):
        return False
    used = deps.session.execute(delete(OneTimeCode).where(OneTimeCode.id == row.id))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]
