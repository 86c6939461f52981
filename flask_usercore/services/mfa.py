"""The second factor that guards login and sensitive changes: TOTP or a recovery code."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from ..errors import SecondFactorRequired, ValidationFailed
from ..models import MfaSecret, RecoveryCode, User, utcnow
from ..security import totp
from ..security.codes import hash_code
from .context import Deps

RECOVERY_PURPOSE = "recovery"


def check_second_factor(deps: Deps, user: User, code: str | None,
                        *, path: str = ".multiFactorCode") -> None:
    """Pass when the user has no active MFA or ``code`` is a fresh TOTP or unused recovery code.

    Raises :class:`SecondFactorRequired` (202) when the code is missing and
    :class:`ValidationFailed` ``MfaCodeNotValid`` when it is wrong. Each code works once.
    """
    if not user.mfa_active or user.mfa is None:
        return
    if not code:
        raise SecondFactorRequired()
    mfa = user.mfa
    step = totp.matching_step(deps.box.decrypt(mfa.secret_encrypted), code,
                              last_step=mfa.last_used_step)
    if step is not None:
        used = deps.session.execute(
            update(MfaSecret)
            .where(MfaSecret.user_id == user.id,
                   or_(MfaSecret.last_used_step.is_(None), MfaSecret.last_used_step < step))
            .values(last_used_step=step))
        if used.rowcount == 1:  # type: ignore[attr-defined]
            return
    elif _use_recovery_code(deps, user, code):
        return
    raise ValidationFailed.single(path, "MfaCodeNotValid", "the multi factor code is not valid")


def _use_recovery_code(deps: Deps, user: User, code: str) -> bool:
    digest = hash_code(deps.config.secret_key, RECOVERY_PURPOSE, code)
    row_id = deps.session.scalar(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.code_hash == digest,
                                      RecoveryCode.used_at.is_(None)))
    if row_id is None:
        return False
    used = deps.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()))
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]
