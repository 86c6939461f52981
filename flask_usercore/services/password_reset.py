"""Resetting a forgotten password with a token sent by mail.

``init_password_reset`` returns the mail to send, or None for an address without a verified
account; the operation runs it after its answer was sent, in a transaction of its own, so
that the answer is the same, and takes the same time, whether or not the address exists.
``confirm_password_reset`` takes the 20-character token: single use,
``USERCORE_PASSWORD_RESET_TTL`` seconds, and dead once the password changes by any path.
"""

from __future__ import annotations

import secrets
import string
import uuid

from .. import signals
from ..errors import N_, ValidationFailed
from ..hooks import Mail
from ..models import CodePurpose, User
from .codes import consume_code, issue_code
from .context import Deps, after_commit
from .password_change import announce_password_change
from .passwords import forget_failures, set_password
from .sessions import revoke_for_password_change
from .users import find_by_email

#: ``token`` of ``confirm-reset`` has exactly this many characters (the document says so).
RESET_TOKEN_LENGTH = 20
_ALPHABET = string.ascii_letters + string.digits


def new_reset_token() -> str:
    """20 random letters and digits (119 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(RESET_TOKEN_LENGTH))


def init_password_reset(deps: Deps, email: str) -> Mail | None:
    """Issue a reset token for the verified account of ``email`` and return the mail that
    carries it (to send after the response), or None when there is no such account.

    A new token makes the earlier ones stop working. The operation answers the same either
    way; ``password-reset-requested`` is sent after the commit when a token was issued.
    """
    user = find_by_email(deps, email)
    if user is None or user.email_verified_at is None:
        return None
    token = issue_code(deps, user.id, CodePurpose.PASSWORD_RESET, code=new_reset_token(),
                       ttl=deps.config.password_reset_ttl)
    mail = deps.mails.render("password-reset", user.email, user=user, token=token,
                             minutes=deps.config.password_reset_ttl // 60)
    after_commit(deps, lambda: signals.password_reset_requested.send(deps.sender, user=user))
    return mail


def _wrong_token() -> ValidationFailed:
    return ValidationFailed.on("token", "WrongPasswordResetToken",
                               N_("the password reset token is wrong, used or expired"))


def confirm_password_reset(deps: Deps, *, user_id: uuid.UUID, token: str,
                           password: str) -> User:
    """Set a new password with a mailed reset token; every session of the user ends.

    400 ``WrongPasswordResetToken`` for an unknown user, a wrong, foreign, used or expired
    token, or one issued before the password last changed (every wrong guess counts against
    the token, which dies after ``USERCORE_CODE_MAX_ATTEMPTS``); ``EmailAddressNotVerified``
    on ``user_id``; the policy's types on ``password``, after which the token still works.
    A completed reset also forgets the account's failed logins (it proves control of the
    mailbox).
    """
    user = deps.session.get(User, user_id)
    if user is None:
        raise _wrong_token()
    used = consume_code(deps, user.id, CodePurpose.PASSWORD_RESET, token)
    if used is None or used.created_at < user.password_updated_at:
        raise _wrong_token()
    if user.email_verified_at is None:
        raise ValidationFailed.on("user_id", "EmailAddressNotVerified",
                                  N_("the e-mail address is not verified yet"))
    set_password(deps, user, password)
    revoke_for_password_change(deps, user.id)
    forget_failures(deps, user.email_key)
    announce_password_change(deps, user, how="reset")
    after_commit(deps, lambda: signals.password_reset.send(deps.sender, user=user))
    return user
