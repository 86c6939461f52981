"""Passkeys (WebAuthn, docs/passkeys.md): the ceremonies' challenges, registration, list,
rename and remove. The ceremonies are py_webauthn's (PyPI ``webauthn``); nothing of WebAuthn
is done here by hand. Sign-in with a passkey: :mod:`.passkey_login`.

A challenge is 32 random bytes, stored as its SHA-256 with what it is for (``register``,
``login``, ``second-factor``), who asked (the session of a registration, the user of a second
factor) and until when (``USERCORE_WEBAUTHN_CHALLENGE_TTL``); the answer names it in its
client data, and using it is a conditional ``DELETE`` (once, even under concurrency; a
refused answer rolls the ``DELETE`` back with everything else, and a replay finds it gone).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Row, delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..commands.passkeys import RegisterPasskey, RenamePasskey
from ..errors import N_, NotFound, ValidationFailed
from ..models import Passkey, PasskeyChallenge, User
from .context import Auth, Deps, after_commit, expiry

#: Passkeys one user may hold.
MAX_PASSKEYS = 100
REGISTER, LOGIN, SECOND_FACTOR = "register", "login", "second-factor"
#: A sign-in whose options named an account (its user, or none for an unknown address).
ACCOUNT_LOGIN = "account-login"
#: Error types (``validationErrors[].type``, on the field ``credential``).
NOT_CONFIGURED = "PasskeysNotConfigured"
NOT_VALID = "PasskeyNotValid"
CHALLENGE_NOT_VALID = "PasskeyChallengeNotValid"
ORIGIN_NOT_ALLOWED = "PasskeyOriginNotAllowed"
UNKNOWN = "PasskeyUnknown"
CLONED = "PasskeyCloned"
REGISTERED_ALREADY = "PasskeyRegisteredAlready"

T = TypeVar("T")


def refused(type_: str, message: str) -> ValidationFailed:
    """The 400 of a refused ceremony, on the field ``credential``."""
    return ValidationFailed.on("credential", type_, message)


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """The configured relying party (``USERCORE_WEBAUTHN_*``)."""

    id: str
    name: str
    origins: tuple[str, ...]


def relying_party(deps: Deps) -> RelyingParty:
    """The relying party, or 400 ``PasskeysNotConfigured`` when passkeys are off."""
    configured = deps.config.passkey_relying_party
    if configured is None:
        raise ValidationFailed.single("", NOT_CONFIGURED, N_("passkeys are not configured on "
                                                          "this server"))
    return RelyingParty(configured[0], deps.config.webauthn_rp_name or deps.config.mfa_issuer,
                        configured[1])


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def new_challenge(deps: Deps, purpose: str, *, user_id: uuid.UUID | None = None,
                  session_id: uuid.UUID | None = None, user_handle: bytes | None = None) -> bytes:
    """A new challenge for ``purpose``, stored (committed with the operation's answer)."""
    challenge = secrets.token_bytes(32)
    now = deps.clock()
    deps.session.add(PasskeyChallenge(
        challenge_hash=_hash(challenge), purpose=purpose, user_id=user_id,
        session_id=session_id, user_handle=user_handle, created_at=now,
        expires_at=expiry(now, deps.config.webauthn_challenge_ttl)))
    return challenge


@dataclass(frozen=True, slots=True)
class Answer:
    """A ceremony's answer, parsed: the credential (py_webauthn's structure), the challenge
    it answers and the origin it came from."""

    credential: Any
    challenge: bytes
    origin: str


def parse_answer(deps: Deps, raw: dict[str, Any], parse: Callable[[Any], T],
                 ceremony: str) -> Answer:
    """Parse the browser's credential JSON with py_webauthn's ``parse`` and read its client
    data: 400 ``PasskeyNotValid`` when malformed or not of this ``ceremony``
    (``webauthn.create``/``webauthn.get``), ``PasskeyOriginNotAllowed`` from another origin."""
    from webauthn.helpers import parse_client_data_json

    try:
        credential = parse(raw)
        client_data = parse_client_data_json(credential.response.client_data_json)  # type: ignore[attr-defined]
    except Exception:  # py_webauthn raises many kinds on malformed input
        raise refused(NOT_VALID, N_("the credential cannot be read")) from None
    if client_data.type != ceremony:
        raise refused(NOT_VALID, N_("the credential answers another ceremony"))
    if client_data.origin not in relying_party(deps).origins:
        raise refused(ORIGIN_NOT_ALLOWED, N_("the credential comes from an origin that is not "
                                          "allowed"))
    return Answer(credential, client_data.challenge, client_data.origin)


def take_challenge(deps: Deps, challenge: bytes,
                   *purposes: str) -> Row[str, uuid.UUID | None, uuid.UUID | None, bytes | None]:
    """Use the stored ``challenge`` of one of ``purposes``, once: one ``DELETE ... RETURNING``
    (its ``purpose``, ``user_id``, ``session_id``, ``user_handle``); 400
    ``PasskeyChallengeNotValid`` when it is unknown (never handed out, another ceremony's),
    expired or used already (of two racing answers, one deletes the row)."""
    row = deps.session.execute(
        delete(PasskeyChallenge)
        .where(PasskeyChallenge.challenge_hash == _hash(challenge),
               PasskeyChallenge.purpose.in_(purposes),
               PasskeyChallenge.expires_at > deps.clock())
        .returning(PasskeyChallenge.purpose, PasskeyChallenge.user_id,
                   PasskeyChallenge.session_id, PasskeyChallenge.user_handle)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        raise refused(CHALLENGE_NOT_VALID, N_("the challenge is unknown, expired or used "
                                           "already: ask for new options"))
    return row


def verified(call: Callable[[], T]) -> T:
    """py_webauthn's verification, its refusals as 400 ``PasskeyNotValid`` (signature,
    RP id, flags, attestation)."""
    try:
        return call()
    except Exception:  # any failure of a verification is a refusal
        raise refused(NOT_VALID, N_("the credential does not verify")) from None


def descriptors(passkeys: list[Passkey]) -> list[Any]:
    """The credential descriptors of ``passkeys`` (for allow and exclude lists)."""
    from webauthn.helpers.structs import (
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
    )

    known = {t.value for t in AuthenticatorTransport}
    return [PublicKeyCredentialDescriptor(id=p.credential_id, transports=[
        AuthenticatorTransport(t) for t in p.transports.split() if t in known] or None)
        for p in passkeys]


def options_json(options: Any) -> dict[str, Any]:
    """py_webauthn's options as the JSON object the browser parses."""
    from webauthn import options_to_json

    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def user_passkeys(deps: Deps, user_id: uuid.UUID) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return list(deps.session.scalars(select(Passkey).where(Passkey.user_id == user_id)
                                     .order_by(Passkey.created_at, Passkey.id)))


def registration_options(deps: Deps, auth: Auth) -> dict[str, Any]:
    """The options of ``navigator.credentials.create()``: a challenge bound to the caller's
    session, the user's handle (random, the same for all their passkeys), their passkeys
    excluded, a resident key preferred, user verification preferred, the configured
    attestation."""
    from webauthn import generate_registration_options
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    rp = relying_party(deps)
    user = auth.user
    existing = user_passkeys(deps, user.id)
    handle = existing[0].user_handle if existing else secrets.token_bytes(32)
    challenge = new_challenge(deps, REGISTER, user_id=user.id, session_id=auth.credential.id,
                              user_handle=handle)
    return options_json(generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=handle, user_name=user.email,
        user_display_name=user.email, challenge=challenge,
        timeout=deps.config.webauthn_challenge_ttl * 1000,
        attestation=AttestationConveyancePreference(deps.config.webauthn_attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=descriptors(existing)))


def register(deps: Deps, auth: Auth, command: RegisterPasskey) -> Passkey:
    """Verify the answer to :func:`registration_options` and store the passkey.

    400 on ``credential``: ``PasskeyNotValid`` (malformed, wrong RP id, bad attestation),
    ``PasskeyOriginNotAllowed``, ``PasskeyChallengeNotValid`` (unknown, expired, used, or
    asked by another session), ``PasskeyRegisteredAlready``; ``maxItems`` beyond
    :data:`MAX_PASSKEYS`.
    """
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.structs import CredentialDeviceType

    rp = relying_party(deps)
    answer = parse_answer(deps, command.credential, parse_registration_credential_json,
                          "webauthn.create")
    row = take_challenge(deps, answer.challenge, REGISTER)
    if row.session_id != auth.credential.id or row.user_handle is None:
        raise refused(CHALLENGE_NOT_VALID, N_("the challenge was handed to another session"))
    result = verified(lambda: verify_registration_response(
        credential=answer.credential, expected_challenge=answer.challenge,
        expected_rp_id=rp.id, expected_origin=list(rp.origins)))
    user = auth.user
    duplicate = refused(REGISTERED_ALREADY, N_("this passkey is registered already"))
    if deps.session.scalar(select(Passkey.id).where(
            Passkey.credential_id == result.credential_id)) is not None:
        raise duplicate
    count = deps.session.scalar(select(func.count()).select_from(Passkey)
                                .where(Passkey.user_id == user.id)) or 0
    if count >= MAX_PASSKEYS:
        raise ValidationFailed.single("", "maxItems",
                                      N_("at most %(count)s passkeys can be registered",
                                         count=MAX_PASSKEYS))
    transports = answer.credential.response.transports or []
    passkey = Passkey(
        user_id=user.id, credential_id=result.credential_id,
        public_key=result.credential_public_key, sign_count=result.sign_count,
        transports=" ".join(t.value for t in transports)[:255], user_handle=row.user_handle,
        backup_eligible=result.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=result.credential_backed_up, aaguid=result.aaguid,
        name=command.name or "Passkey", created_at=deps.clock())
    deps.session.add(passkey)
    try:
        deps.session.flush()
    except IntegrityError:  # the same credential registered by a parallel request
        raise duplicate from None
    after_commit(deps, lambda: signals.passkey_registered.send(deps.sender, user=user,
                                                               passkey=passkey))
    return passkey


def get_passkey(deps: Deps, user: User, passkey_id: str) -> Passkey:
    """The user's passkey ``passkey_id``; 404 when it is not one of theirs (or no UUID)."""
    try:
        wanted = uuid.UUID(passkey_id)
    except ValueError:
        raise NotFound(N_("no passkey with this id")) from None
    passkey = deps.session.scalars(select(Passkey).where(
        Passkey.id == wanted, Passkey.user_id == user.id)).first()
    if passkey is None:
        raise NotFound(N_("no passkey with this id"))
    return passkey


def rename(deps: Deps, user: User, passkey_id: str, command: RenamePasskey) -> None:
    """Rename the user's passkey."""
    get_passkey(deps, user, passkey_id).name = command.name


def remove(deps: Deps, user: User, passkey_id: str) -> None:
    """Delete the user's passkey; 404 when it is not one of theirs."""
    passkey = get_passkey(deps, user, passkey_id)
    deps.session.execute(delete(Passkey).where(Passkey.id == passkey.id))
    after_commit(deps, lambda: signals.passkey_removed.send(deps.sender, user=user,
                                                            passkey=passkey))
