"""Changing the e-mail address: request (with the password), verify with the mailed code,
resend the code (also for an unverified registration).

The old address stays the login and the user's ``email`` until the new one is verified;
the pending address is the ``target`` of the user's live ``email_change`` code.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from .. import signals
from ..errors import N_, FieldError, NotFound, PreconditionFailed, ValidationFailed
from ..models import CodePurpose, OneTimeCode, User
from ..security.identity import email_key
from .codes import consume_code, issue_code
from .context import Auth, Deps, after_commit, send_mail
from .passwords import void_reset_codes
from .registration import resend_registration
from .sessions import revoke_sessions
from .users import UNIQUE, find_by_email, flush_unique

PURPOSE = CodePurpose.EMAIL_CHANGE


def verified_email(user: User) -> str:
    """The user's verified address; 404 while the registration is not verified."""
    if user.email_verified_at is None:
        raise NotFound(N_("the e-mail address is not verified yet"))
    return user.email


def _pending(deps: Deps, user_id: uuid.UUID) -> OneTimeCode | None:
    """The user's newest unused e-mail change code (expired or not)."""
    return deps.session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == PURPOSE,
               OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.created_at.desc()).limit(1)).first()


def pending_email(deps: Deps, user: User) -> str | None:
    """The address the user asked to change to and has not verified yet (its code may have
    expired: a resend renews it), or None."""
    pending = _pending(deps, user.id)
    return pending.target if pending is not None else None


def _taken(deps: Deps, user: User, address: str) -> bool:
    other = find_by_email(deps, address)
    return other is not None and other.id != user.id


def request_email_change(deps: Deps, auth: Auth, *, email: str) -> None:
    """Start changing the caller's address to ``email``: a code to the new address, a
    notice to the old one.

    The operation checked the recent authentication first (a fresh session or the password:
    :mod:`.reauth`). 400 ``EmailInUse`` when another
    account has the address, ``EmailAddressAlreadyVerified`` when it is the current address
    as it is written. An earlier pending change stops working.
    """
    user = auth.user
    if email == user.email and user.email_verified_at is not None:
        raise ValidationFailed.on("email", "EmailAddressAlreadyVerified",
                                  N_("this is already your verified e-mail address"))
    if _taken(deps, user, email):
        raise ValidationFailed.on(*UNIQUE["email_key"])
    code = issue_code(deps, user.id, PURPOSE, target=email)
    send_mail(deps, "email-change", email, user=user, code=code, new_email=email)
    send_mail(deps, "email-change-notice", user.email, user=user, new_email=email)
    after_commit(deps, lambda: signals.email_change_requested.send(
        deps.sender, user=user, new_email=email))


def verify_email_change(deps: Deps, auth: Auth, *, email: str, token: str | None) -> User:
    """Swap in the pending address ``email`` when ``token`` is its live code, in one
    transaction.

    400 ``required`` without a token; ``EmailAddressAlreadyVerified`` when ``email`` is the
    current verified address; ``EmailNotFound`` when no change to ``email`` is pending;
    ``WrongVerificationToken`` for a wrong, used or expired code (every guess counts against
    the code); ``EmailInUse`` when another account took the address meanwhile (also when it
    does so concurrently: the unique index decides). Of concurrent verifications with one
    code exactly one succeeds. The change ends the user's other sessions (the caller's
    stays) and voids the password-reset codes mailed to the old address.
    """
    user = auth.user
    if not token:
        raise ValidationFailed([FieldError("", N_("the token is required"), "required",
                                           {"missingProperty": "token"}, field="token")])
    key = email_key(email)
    pending = _pending(deps, user.id)
    if pending is None or pending.target is None or email_key(pending.target) != key:
        if key == user.email_key and user.email_verified_at is not None:
            raise ValidationFailed.on("email", "EmailAddressAlreadyVerified",
                                      N_("this e-mail address is verified already"))
        raise ValidationFailed.on("email", "EmailNotFound",
                                  N_("no change to this e-mail address is pending"))
    used = consume_code(deps, user.id, PURPOSE, token)
    if used is None or used.id != pending.id or used.target is None:
        raise ValidationFailed.on("token", "WrongVerificationToken",
                                  N_("the verification token is wrong or expired"))
    if _taken(deps, user, used.target):
        raise ValidationFailed.on(*UNIQUE["email_key"])
    old_email = user.email
    user.email = used.target
    user.email_verified_at = deps.clock()
    flush_unique(deps)
    # whoever else is signed in, or holds a reset link mailed to the old address, is out
    revoke_sessions(deps, user.id, except_credential_id=auth.credential.id)
    void_reset_codes(deps, user)
    after_commit(deps, lambda: signals.email_changed.send(deps.sender, user=user,
                                                          old_email=old_email))
    return user


def resend_verification(deps: Deps, *, user_id: uuid.UUID, email: str) -> None:
    """Send a new code for the pending verification of ``email`` by ``user_id``: an e-mail
    change to that address, or the registration when the account is still unverified.

    The earlier code stops working. 412 when nothing is pending for that user and address,
    the same answer whether or not the account exists.
    """
    user = deps.session.get(User, user_id)
    if user is not None:
        key = email_key(email)
        pending = _pending(deps, user.id)
        if pending is not None and pending.target and email_key(pending.target) == key:
            code = issue_code(deps, user.id, PURPOSE, target=pending.target)
            send_mail(deps, "email-change", pending.target, user=user, code=code,
                      new_email=pending.target)
            return
        if user.email_verified_at is None and user.email_key == key:
            resend_registration(deps, user)
            return
    raise PreconditionFailed(N_("no e-mail address verification was requested"))
