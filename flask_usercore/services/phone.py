"""Phone numbers: add one (an SMS code goes to it), verify it with the code, remove it.

Numbers are parsed with ``phonenumbers`` in international form and stored as E.164; only
numbers that can receive SMS (mobile, or "fixed line or mobile" where a plan cannot tell)
are accepted. The code is a one-time code of six digits (hashed, expiring, limited guesses;
``services/codes.py``). Sending is throttled by ``USERCORE_SMS_RATELIMIT`` per number *and*
per user, in the counters' storage of the rate limits (memory or Redis), so neither many
accounts nor many numbers let the API be used to flood a phone. ``User.phone_number`` holds
a number only once it is verified.
"""

from __future__ import annotations

from sqlalchemy import select, update

from .. import signals
from ..errors import N_, Conflict, NotFound, PreconditionFailed, ValidationFailed
from ..models import CodePurpose, OneTimeCode, User
from .codes import consume_code, issue_code
from .context import Deps, after_commit
from .outbox import enqueue_sms
from .throttle import hashed, throttle

#: The command field of the number (:class:`~flask_usercore.commands.phone.AddPhone`,
#: ``VerifyPhone``).
FIELD = "phone_number"
CODE_DIGITS = 6


def normalize(raw: str) -> str:
    """``raw`` in E.164 (``+491701234567``); 400 when it is no valid, SMS-capable number."""
    import phonenumbers  # its metadata is loaded by the first phone operation, not at start
    from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

    try:
        number = phonenumbers.parse(raw, None)
    except NumberParseException:
        raise ValidationFailed.on(FIELD, "format", N_("not a phone number in international "
                                  "form, such as +491701234567")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed.on(FIELD, "format", N_("this phone number does not exist"))
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE,
                                                PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationFailed.on(FIELD, "NotAMobileNumber",
                                  N_("this number cannot receive text messages; give a "
                                  "mobile number"))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _throttle(deps: Deps, user: User, number: str) -> None:
    """Count one SMS for ``number`` and ``user``; 429 when either has had its share."""
    throttle(deps, deps.config.sms_ratelimit, "usercore/sms",
             (("number", hashed(number)), ("user", str(user.id))))


def _send(deps: Deps, number: str, code: str) -> None:
    """Write the code's SMS to the outbox; it is sent after the commit, retried while it
    fails (``services/outbox.py``)."""
    enqueue_sms(deps, number, f"Your verification code is: {code}")


def add_phone(deps: Deps, user: User, raw: str) -> str:
    """Start verifying a number: issue a code and send it by SMS; the E.164 number.

    409 when the number is the user's verified one already; 429 when too many codes went
    to this number or from this user. Asking again sends a new code (the old one stops
    working).
    """
    number = normalize(raw)
    if user.phone_number == number:
        raise Conflict(N_("this phone number is verified already"))
    _throttle(deps, user, number)
    code = issue_code(deps, user.id, CodePurpose.PHONE, target=number, digits=CODE_DIGITS)
    _send(deps, number, code)
    return number


def verify_phone(deps: Deps, user: User, raw: str, code: str) -> None:
    """Verify the pending number with its code; it then shows on the user.

    404 when no code is pending for this number (none asked, expired, or its guesses used
    up); 400 ``WrongVerificationCode`` for a wrong code (each counts); 409 when the number
    is verified already.
    """
    number = normalize(raw)
    if user.phone_number == number:
        raise Conflict(N_("this phone number is verified already"))
    pending = deps.session.scalar(
        select(OneTimeCode.id).where(
            OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.PHONE,
            OneTimeCode.target == number, OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > deps.clock(),
            OneTimeCode.attempts < deps.config.code_max_attempts).limit(1))
    if pending is None:
        raise NotFound(N_("no verification is pending for this number; add it again"))
    if consume_code(deps, user.id, CodePurpose.PHONE, code) is None:
        raise ValidationFailed.on("code", "WrongVerificationCode", N_("the code is wrong"))
    user.phone_number = number
    deps.session.flush()
    after_commit(deps, lambda: signals.phone_verified.send(deps.sender, user=user,
                                                           phone_number=number))


def remove_phone(deps: Deps, user: User) -> None:
    """Remove the verified number (and any pending code); 412 when there is none."""
    number = user.phone_number
    if number is None:
        raise PreconditionFailed(N_("no phone number is set"))
    user.phone_number = None
    deps.session.execute(
        update(OneTimeCode).where(OneTimeCode.user_id == user.id,
                                  OneTimeCode.purpose == CodePurpose.PHONE,
                                  OneTimeCode.used_at.is_(None)).values(used_at=deps.clock()))
    deps.session.flush()
    after_commit(deps, lambda: signals.phone_removed.send(deps.sender, user=user,
                                                          phone_number=number))
