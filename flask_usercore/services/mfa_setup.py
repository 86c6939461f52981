"""Setting MFA up and down: init (a new TOTP seed and its QR code), confirm (MFA on, 20
recovery codes), replace the recovery codes, disable, and the support desk's reset.

Each change locks the user's row first (``SELECT ... FOR UPDATE`` on PostgreSQL), so two
changes of one user's MFA never interleave; the second sees what the first committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from .. import signals
from ..errors import N_, FieldError, ValidationFailed
from ..models import MfaSecret, OneTimeCode, RecoveryCode, User
from ..security import totp
from ..security.codes import hash_code, new_recovery_code
from .context import Deps, after_commit, send_mail
from .mfa import CODE_FIELD, FIRST_FACTOR_PURPOSE, RECOVERY_PURPOSE, use_totp, verify_code
from .passwords import forget_failures
from .sessions import revoke_sessions

#: Recovery codes handed out at confirmation and on every replacement.
RECOVERY_CODE_COUNT = 20
#: ``validationErrors[].type`` of a wrong code on the ``/credentials/mfa`` operations.
SETTINGS_CODE_NOT_VALID = "MultiFactorCodeNotValid"
#: ``validationErrors[].type`` of a change that needs MFA set up (or on) first.
NOT_INITIALIZED = "MfaNotInitialized"


@dataclass(frozen=True, slots=True)
class MfaSetup:
    """What ``init-mfa`` answers: the ``otpauth://`` URI and its QR code (base64 PNG)."""

    url: str
    barcode: str


def mfa_status(user: User) -> dict[str, Any]:
    """``{initialized, confirmed}``: a seed exists; MFA is on."""
    return {"initialized": user.mfa_setup, "confirmed": user.mfa_active}


def _refused(type_: str, message: str) -> ValidationFailed:
    """A refusal of the whole request, on no field: the state of the user's MFA."""
    return ValidationFailed([FieldError("", message, type_)], message)


def _locked_mfa(deps: Deps, user: User) -> MfaSecret | None:
    """Lock the user's row, then read the MFA row as committed now (refreshing the loaded one)."""
    deps.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    return deps.session.scalars(
        select(MfaSecret).where(MfaSecret.user_id == user.id)
        .execution_options(populate_existing=True)).first()


def _require_verified(user: User) -> None:
    if user.email_verified_at is None:
        raise _refused("EmailAddressNotVerified",
                       N_("verify your e-mail address before you set up MFA"))


def _not_initialized() -> ValidationFailed:
    return _refused(NOT_INITIALIZED, N_("MFA is not set up"))


def init_mfa(deps: Deps, user: User) -> MfaSetup:
    """A new TOTP seed for ``user`` (replacing one not confirmed yet), stored encrypted.

    400 ``EmailAddressNotVerified``, ``MfaAlreadyConfirmed``. The seed is shown here only,
    inside the URL and its QR code.
    """
    _require_verified(user)
    mfa = _locked_mfa(deps, user)
    if mfa is not None and mfa.confirmed_at is not None:
        raise _refused("MfaAlreadyConfirmed", N_("MFA is already active: disable it first"))
    secret = totp.new_secret()
    encrypted = deps.box.encrypt(secret)
    if mfa is None:
        deps.session.add(MfaSecret(user_id=user.id, secret_encrypted=encrypted,
                                   created_at=deps.clock()))
    else:
        mfa.secret_encrypted, mfa.last_used_step, mfa.created_at = encrypted, None, deps.clock()
    deps.session.flush()
    url = totp.provisioning_uri(secret, user.email, deps.config.mfa_issuer)
    return MfaSetup(url=url, barcode=totp.qr_png_base64(url))


def confirm_mfa(deps: Deps, user: User, code: str) -> list[str]:
    """Turn MFA on with a valid TOTP code of the new seed; the 20 recovery codes, in clear,
    shown once (stored as keyed hashes).

    400 ``EmailAddressNotVerified``, ``MfaNotInitialized``, ``MfaAlreadyConfirmed``,
    ``MultiFactorCodeNotValid``. The code's time step counts as used.
    """
    _require_verified(user)
    mfa = _locked_mfa(deps, user)
    if mfa is None:
        raise _not_initialized()
    if mfa.confirmed_at is not None:
        raise _refused("MfaAlreadyConfirmed", N_("MFA is already active"))
    if not use_totp(deps, mfa, code):  # no second factor yet: not counted by the lockout
        raise ValidationFailed.on(CODE_FIELD, SETTINGS_CODE_NOT_VALID,
                                  N_("the multi factor code is not valid"))
    mfa.confirmed_at = deps.clock()
    codes = _replace_recovery_codes(deps, user)
    after_commit(deps, lambda: signals.mfa_enabled.send(deps.sender, user=user))
    return codes


def regenerate_recovery_codes(deps: Deps, user: User, code: str) -> list[str]:
    """Replace all recovery codes by 20 new ones, after a valid second factor.

    400 ``MfaNotInitialized`` (MFA is not on), ``MultiFactorCodeNotValid``.
    """
    mfa = _locked_mfa(deps, user)
    if mfa is None or mfa.confirmed_at is None:
        raise _not_initialized()
    verify_code(deps, user, mfa, code, error_type=SETTINGS_CODE_NOT_VALID, announce=False)
    codes = _replace_recovery_codes(deps, user)
    forget_failures(deps, user.email_key)
    after_commit(deps, lambda: signals.recovery_codes_regenerated.send(deps.sender, user=user))
    return codes


def disable_mfa(deps: Deps, user: User, code: str) -> None:
    """Turn MFA off (or cancel a setup not confirmed yet), after a valid second factor:
    the seed and every recovery code are deleted.

    400 ``MfaNotInitialized``, ``MultiFactorCodeNotValid``.
    """
    mfa = _locked_mfa(deps, user)
    if mfa is None:
        raise _not_initialized()
    verify_code(deps, user, mfa, code, error_type=SETTINGS_CODE_NOT_VALID, announce=False)
    _remove_mfa(deps, user)
    forget_failures(deps, user.email_key)
    after_commit(deps, lambda: signals.mfa_disabled.send(deps.sender, user=user, reason="user"))


def reset_mfa(deps: Deps, user: User) -> int:
    """The support desk's reset for a user who lost the device: MFA off, every session
    ended (:func:`~.sessions.revoke_sessions`), the user told by mail. Returns the number of
    credential rows removed (sessions, their spent refresh tokens, retrieval keys).

    400 ``MfaNotInitialized`` when the user has no MFA set up (nothing is changed).
    """
    if _locked_mfa(deps, user) is None:
        raise _not_initialized()
    _remove_mfa(deps, user)
    ended = revoke_sessions(deps, user.id)
    send_mail(deps, "mfa-reset", user.email, user=user)
    after_commit(deps, lambda: signals.mfa_disabled.send(deps.sender, user=user,
                                                         reason="support"))
    return ended


def _replace_recovery_codes(deps: Deps, user: User) -> list[str]:
    """Delete the user's recovery codes and store 20 new ones; the new ones in clear."""
    deps.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = deps.clock()
    deps.session.add_all(
        RecoveryCode(user_id=user.id, created_at=now,
                     code_hash=hash_code(deps.config.secret_key, RECOVERY_PURPOSE, code))
        for code in codes)
    deps.session.flush()
    return codes


def _remove_mfa(deps: Deps, user: User) -> None:
    """Delete the seed, the recovery codes and any remembered first factor."""
    for statement in (
            delete(MfaSecret).where(MfaSecret.user_id == user.id),
            delete(RecoveryCode).where(RecoveryCode.user_id == user.id),
            delete(OneTimeCode).where(OneTimeCode.user_id == user.id,
                                      OneTimeCode.purpose == FIRST_FACTOR_PURPOSE)):
        deps.session.execute(statement)
    deps.session.expire(user, ["mfa"])
