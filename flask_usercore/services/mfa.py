"""The second factor that guards login and sensitive changes: TOTP or a recovery code."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select, update

from ..errors import SecondFactorRequired, ValidationFailed
from ..models import MfaSecret, RecoveryCode, User, utcnow
from ..security import totp
from ..security.codes import hash_code_all
from .context import Deps

RECOVERY_PURPOSE = "recovery"

logger = logging.getLogger("flask_usercore")


def check_second_factor(deps: Deps, user: User, code: str | None,
                        *, path: str = ".multiFactorCode") -> None:
    """Pass when the user has no active MFA or ``code`` is a fresh TOTP or unused recovery code.

    Raises :class:`SecondFactorRequired` (202) when the code is missing and
    :class:`ValidationFailed` ``MfaCodeNotValid`` when it is wrong. Each code works once.
    A wrong code counts as a failure of the account (:class:`~flask_usercore.lockout.Lockout`);
    while the account is locked every code is refused with 429 before it is compared. A
    success forgets nothing: the caller does that once the whole operation succeeded.
    """
    mfa = user.mfa
    if not user.mfa_active or mfa is None:
        return
    if not code:
        raise SecondFactorRequired()
    deps.lockout.check(user.email_key)
    if _use_totp(deps, mfa, code) or _use_recovery_code(deps, user, code):
        return
    deps.lockout.failed(user.email_key)
    raise ValidationFailed.single(path, "MfaCodeNotValid", "the multi factor code is not valid")


def _use_totp(deps: Deps, mfa: MfaSecret, code: str) -> bool:
    """Use ``code`` as the user's TOTP code, once; re-encrypt a seed made under an old key.

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
    step = totp.matching_step(secret, code, last_step=mfa.last_used_step)
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
    """Use ``code`` as one of the user's unused recovery codes, made under any configured key."""
    digests = hash_code_all(deps.config.secret_keys, RECOVERY_PURPOSE, code)
    row_id = deps.session.scalar(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.code_hash.in_(digests),
                                      RecoveryCode.used_at.is_(None)))
    if row_id is None:
        return False
    used = deps.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]
