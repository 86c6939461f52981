"""Signing in with a passkey (docs/passkeys.md): passwordless, discoverable or with an
e-mail, and a passkey as the second factor of an MFA login.

A passkey sign-in is a login like a password's: the same session
(:func:`~.authentication.start_session`), fresh, its ``auth_methods`` ``hwk`` (a passkey
bound to its device) or ``swk`` (a synced passkey), RFC 8176; as the second factor
``pwd hwk mfa``. User verification is required for a passwordless sign-in. The assertion is
checked under the account's lockout (:class:`~flask_usercore.runtime.lockout.Lockout`): a
refused one counts as a failure of the account, a locked account is refused with 429.
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select

from .. import signals
from ..commands.passkeys import (
    PasskeyLogin,
    PasskeyLoginOptions,
    PasskeySecondFactor,
    PasskeySecondFactorOptions,
)
from ..errors import N_, FirstFactorExpired, ValidationFailed, WrongCredentials
from ..models import Passkey, User
from ..security.identity import email_key
from .authentication import IssuedSession, check_password_login, start_session
from .context import ClientInfo, Deps, after_commit
from .mfa import use_first_factor
from .passkeys import (
    ACCOUNT_LOGIN,
    CLONED,
    LOGIN,
    SECOND_FACTOR,
    UNKNOWN,
    Answer,
    descriptors,
    new_challenge,
    options_json,
    parse_answer,
    refused,
    relying_party,
    take_challenge,
    user_passkeys,
    verified,
)
from .passwords import forget_failures
from .reauth import PASSWORD, methods
from .users import find_by_email

#: ``amr`` of a passkey bound to one device, and of a synced one (RFC 8176).
HARDWARE_KEY, SOFTWARE_KEY = "hwk", "swk"


def _decoy(deps: Deps, email: str) -> list[Any]:
    """A credential descriptor that looks like one of a passkey, stable per address: the
    allow list of an address without passkeys (or without account) tells nothing."""
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    fake = hmac.new(deps.config.secret_key.encode(), b"passkey-decoy\x00"
                    + email_key(email).encode(), "sha256").digest()
    return [PublicKeyCredentialDescriptor(id=fake)]


def _request_options(deps: Deps, challenge: bytes, allow: list[Any], *,
                     user_verification: str) -> dict[str, Any]:
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    return options_json(generate_authentication_options(
        rp_id=relying_party(deps).id, challenge=challenge, allow_credentials=allow,
        timeout=deps.config.webauthn_challenge_ttl * 1000,
        user_verification=UserVerificationRequirement(user_verification)))


def login_options(deps: Deps, command: PasskeyLoginOptions) -> dict[str, Any]:
    """The options of ``navigator.credentials.get()`` for a passwordless sign-in: without an
    e-mail none listed (the browser offers the site's discoverable passkeys), with one the
    account's passkeys (a decoy for an address without any: the answer does not tell
    whether the account exists). User verification required."""
    relying_party(deps)
    if command.email is None:
        challenge = new_challenge(deps, LOGIN)
        allow: list[Any] = []
    else:
        user = find_by_email(deps, command.email)
        allow = descriptors(user_passkeys(deps, user.id)) if user is not None else []
        allow = allow or _decoy(deps, command.email)
        challenge = new_challenge(deps, ACCOUNT_LOGIN,
                                  user_id=user.id if user is not None else None)
    return _request_options(deps, challenge, allow, user_verification="required")


def _find_passkey(deps: Deps, answer: Answer) -> Passkey:
    passkey = deps.session.scalars(select(Passkey).where(
        Passkey.credential_id == answer.credential.raw_id)).first()
    if passkey is None:
        raise refused(UNKNOWN, N_("this passkey is not registered"))
    handle = answer.credential.response.user_handle
    if handle is not None and handle != passkey.user_handle:
        raise refused(UNKNOWN, N_("this passkey is not registered for this user"))
    return passkey


def _check_assertion(deps: Deps, answer: Answer, passkey: Passkey, user: User, *,
                     require_user_verification: bool) -> str:
    """Verify the assertion against ``passkey`` under the account's lockout; record the
    use. Returns its ``amr`` (:data:`HARDWARE_KEY` or :data:`SOFTWARE_KEY`)."""
    from webauthn import verify_authentication_response

    rp = relying_party(deps)
    attempt = deps.lockout.attempt(user.email_key)
    try:
        # the sign count is compared below, to tell a clone from another refusal
        result = verified(lambda: verify_authentication_response(
            credential=answer.credential, expected_challenge=answer.challenge,
            expected_rp_id=rp.id, expected_origin=list(rp.origins),
            credential_public_key=passkey.public_key, credential_current_sign_count=0,
            require_user_verification=require_user_verification))
    except ValidationFailed:  # keeps its slot: a failure of the account
        raise
    except BaseException:
        deps.lockout.passed(attempt)
        raise
    deps.lockout.passed(attempt)
    if (result.new_sign_count or passkey.sign_count) \
            and result.new_sign_count <= passkey.sign_count:
        signals.passkey_clone_suspected.send(deps.sender, user=user, passkey=passkey,
                                             sign_count=result.new_sign_count)
        raise refused(CLONED, N_("the passkey's sign count went backwards: it may have been "
                              "cloned"))
    passkey.sign_count = result.new_sign_count
    passkey.backed_up = result.credential_backed_up
    passkey.last_used_at = deps.clock()
    after_commit(deps, lambda: signals.passkey_used.send(deps.sender, user=user,
                                                         passkey=passkey))
    return SOFTWARE_KEY if passkey.backup_eligible else HARDWARE_KEY


def _check_account(deps: Deps, user: User) -> None:
    """The checks of a password login after its password (:func:`_check_password`)."""
    for refused_when, reason, message in (
            (deps.config.require_verified_email and user.email_verified_at is None,
             "EmailAddressNotVerified", N_("the e-mail address is not verified yet")),
            (user.disabled_at is not None, "AccountDisabled",
             N_("this account has been disabled by an administrator"))):
        if refused_when:
            signals.login_failed.send(deps.sender, email=user.email, reason=reason)
            raise WrongCredentials(reason, message)


def authenticate(deps: Deps, command: PasskeyLogin, client: ClientInfo) -> IssuedSession:
    """Sign in with a passkey: a fresh session, as a password login gives.

    400 on ``credential``: ``PasskeyNotValid``, ``PasskeyOriginNotAllowed``,
    ``PasskeyChallengeNotValid``, ``PasskeyUnknown`` (unknown, or not of the account the
    options were asked for; an address without account matches no passkey),
    ``PasskeyCloned``; 401 ``AccountDisabled`` and ``EmailAddressNotVerified``; 429 while
    the account is locked.
    """
    answer = parse_answer(deps, command.credential, _parse, "webauthn.get")
    row = take_challenge(deps, answer.challenge, LOGIN, ACCOUNT_LOGIN)
    passkey = _find_passkey(deps, answer)
    if row.purpose == ACCOUNT_LOGIN and row.user_id != passkey.user_id:
        raise refused(UNKNOWN, N_("this passkey is not registered for this account"))
    user = deps.session.get_one(User, passkey.user_id)
    used = _check_assertion(deps, answer, passkey, user, require_user_verification=True)
    _check_account(deps, user)
    forget_failures(deps, user.email_key)
    return start_session(deps, user, client, proof=methods(used))


def _parse(raw: Any) -> Any:
    from webauthn.helpers import parse_authentication_credential_json

    return parse_authentication_credential_json(raw)


def _first_factor(deps: Deps, email: str, password: str) -> User:
    """The password again, as ``authenticate-mfa`` checks it (400 ``WrongCredentials``)."""
    try:
        user = check_password_login(deps, email, password)
    except WrongCredentials as exc:  # these operations' documents have no 401
        raise ValidationFailed(exc.errors, exc.message) from None
    if not user.mfa_active:
        raise FirstFactorExpired()
    return user


def second_factor_options(deps: Deps, command: PasskeySecondFactorOptions) -> dict[str, Any]:
    """The options for answering the 202 ``SecondFactorRequired`` with a passkey: the
    password again, then the account's passkeys (400 ``PasskeyUnknown`` when it has none)."""
    relying_party(deps)
    user = _first_factor(deps, command.email, command.password)
    allow = descriptors(user_passkeys(deps, user.id))
    if not allow:
        raise refused(UNKNOWN, N_("this account has no passkey"))
    challenge = new_challenge(deps, SECOND_FACTOR, user_id=user.id)
    return _request_options(deps, challenge, allow, user_verification="preferred")


def authenticate_second_factor(deps: Deps, command: PasskeySecondFactor,
                               client: ClientInfo, *, remembered: bool = True) -> IssuedSession:
    """Complete a login answered with 202 by a passkey instead of a code: the rules of
    ``authenticate-mfa`` (the password again, the remembered first factor used once: 408
    when there is none), then the assertion (the 400s of :func:`authenticate`).

    ``remembered=False``: the password and the passkey come in one request (the account
    pages' sign-in form, as :func:`~.authentication.authenticate` with a code and
    ``remember=False``), no first factor remembered by a 202 is used."""
    user = _first_factor(deps, command.email, command.password)
    answer = parse_answer(deps, command.credential, _parse, "webauthn.get")
    if remembered and not use_first_factor(deps, user):
        raise FirstFactorExpired()
    row = take_challenge(deps, answer.challenge, SECOND_FACTOR)
    passkey = _find_passkey(deps, answer)
    if row.user_id != user.id or passkey.user_id != user.id:
        raise refused(UNKNOWN, N_("this passkey is not registered for this account"))
    used = _check_assertion(deps, answer, passkey, user, require_user_verification=False)
    forget_failures(deps, user.email_key)
    return start_session(deps, user, client, proof=methods(PASSWORD, used))


__all__ = ["authenticate", "authenticate_second_factor", "login_options",
           "second_factor_options"]
