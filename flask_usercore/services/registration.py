"""Registration and its verification by a code sent by mail."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select

from .. import signals
from ..commands.registration import Register
from ..errors import N_, NotFound, ValidationFailed
from ..models import CodePurpose, OneTimeCode, User
from ..models.sqlite import delete_dependents
from ..security.identity import email_key
from .codes import consume_code, issue_code
from .context import Deps, after_commit, send_mail
from .passwords import new_password_hash
from .users import UNIQUE, find_by_email, flush_unique, nickname_taken

#: The Profile fields of :class:`Register`, stored as the user's columns of the same names
#: (absent: the column's default).
PROFILE_FIELDS = ("nickname", "display_name", "company", "location", "country_code", "web_url",
                  "picture_url", "account_type")


def create_user(deps: Deps, command: Register, *,
                verified_at: dt.datetime | None = None) -> User:
    """Store a new account (policy-checked password, unique e-mail and nickname), verified
    at ``verified_at`` (None: not yet).

    An abandoned sign-up of the same address (unverified, no live registration code) is
    deleted first, so that it does not block the address forever.

    400 ``EmailInUse`` / ``NicknameInUse`` on a clash (also under concurrent requests, through
    the unique indexes), the policy's types for a weak password.
    """
    email, person = command.email, command.person
    existing = find_by_email(deps, email)
    if existing is not None:
        if not _abandoned(deps, existing):
            raise ValidationFailed.on(*UNIQUE["email_key"])
        # nobody can ever verify it: the address (and nickname) go to the new sign-up
        delete_dependents(deps.uow.connection(), User.__table__, User.id == existing.id)
        deps.session.execute(delete(User).where(User.id == existing.id)
                             .execution_options(synchronize_session="fetch"))
    if command.nickname and nickname_taken(deps, command.nickname):
        raise ValidationFailed.on(*UNIQUE["nickname_lower"])
    names = (person.first_name, person.last_name, command.nickname, command.display_name)
    profile = {name: value for name in PROFILE_FIELDS
               if (value := getattr(command, name)) is not None}
    user = User(id=uuid.uuid4(), email=email,
                password_hash=new_password_hash(deps, command.password, email=email,
                                                names=names),
                first_name=person.first_name, last_name=person.last_name, title=person.title,
                password_updated_at=deps.clock(), email_verified_at=verified_at,
                **profile)
    deps.session.add(user)
    flush_unique(deps)
    return user


def _abandoned(deps: Deps, user: User) -> bool:
    """An unverified sign-up whose registration codes have all expired or were used up:
    nobody can verify it any more, so it must not block its address forever. (An account made
    without a code, by ``flask usercore create-user``, is an administrator's: never.)"""
    if user.email_verified_at is not None:
        return False
    now = deps.clock()
    codes = deps.session.execute(
        select(OneTimeCode.expires_at, OneTimeCode.used_at, OneTimeCode.attempts)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.REGISTRATION)
    ).all()
    return bool(codes) and not any(
        used_at is None and expires_at > now and attempts < deps.config.code_max_attempts
        for expires_at, used_at, attempts in codes)


def register(deps: Deps, command: Register) -> User:
    """Create an unverified account (:func:`create_user`) and mail it a verification code.

    The mail goes out after the commit: nothing is mailed for an account whose commit failed,
    and a slow mail server holds no lock. A mail that cannot be delivered is logged and
    signalled (``delivery_failed``); the account stands and the code can be sent again.
    """
    user = create_user(deps, command)
    resend_registration(deps, user)
    after_commit(deps, lambda: signals.user_registered.send(deps.sender, user=user))
    return user


def resend_registration(deps: Deps, user: User) -> None:
    """Mail the unverified ``user`` a new registration code; the earlier one stops working
    (``POST .../email/actions/resend-email`` for an abandoned sign-up, and registration)."""
    code = issue_code(deps, user.id, CodePurpose.REGISTRATION)
    deps.session.flush()
    send_mail(deps, "registration", user.email, user=user, code=code)


def verify_registration(deps: Deps, *, user_id: uuid.UUID, email: str, token: str) -> User:
    """Mark the account verified when ``token`` is its live registration code.

    404 when no account has this id and e-mail; 400 ``UserRegistrationAlreadyVerified`` (on
    ``user_id``) or ``WrongVerificationToken`` (on ``token``).
    """
    user = deps.session.get(User, user_id)
    if user is None or user.email_key != email_key(email):
        raise NotFound(N_("no registration for this user id and e-mail address"))
    if user.email_verified_at is not None:
        raise ValidationFailed.on("user_id", "UserRegistrationAlreadyVerified",
                                  N_("the registration is already verified"))
    if consume_code(deps, user.id, CodePurpose.REGISTRATION, token) is None:
        raise ValidationFailed.on("token", "WrongVerificationToken",
                                  N_("the verification token is wrong or expired"))
    user.email_verified_at = deps.clock()
    after_commit(deps, lambda: signals.registration_verified.send(deps.sender, user=user))
    return user
