"""SSH public keys: parse with ``cryptography``, then list, add, edit and remove them.

Accepted: ed25519, ECDSA on P-256/P-384/P-521, and RSA of 2048 to 16384 bits. DSA (refused by
OpenSSH since 7.0), shorter RSA and every other type are refused, naming why. The
fingerprint is OpenSSH's SHA-256 of the key blob, written as colon-separated hex (the
document's ``hexdump`` form); one user cannot store the same key twice (409).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..commands.ssh_keys import AddSshKey, EditSshKey
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..models import SshKey, User
from .context import Deps, after_commit

MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384
_CURVES = {"secp256r1", "secp384r1", "secp521r1"}
_KEY_TYPE = re.compile(r"[a-z0-9@.-]{1,64}")
#: Key types we refuse by name, and why.
_REFUSED_TYPES = {
    "ssh-dss": N_("DSA keys are insecure (OpenSSH refuses them since 7.0); use ed25519"),
}


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """A checked public key: its type, ``<type> <base64>`` form, fingerprint and comment."""

    algorithm: str
    public_key: str
    fingerprint: str
    comment: str


def _refuse(kind: str, message: str) -> ValidationFailed:
    return ValidationFailed.on("public_key", kind, message)


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA-256 fingerprint of a key blob, as colon-separated lowercase hex."""
    return ":".join(f"{byte:02x}" for byte in hashlib.sha256(blob).digest())


def parse_public_key(line: str) -> ParsedKey:
    """Parse one ``<type> <base64> [comment]`` line; raise a 400 naming what is wrong."""
    # cryptography (about 8 MiB per process) is imported by the first key, not at start
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_ssh_public_key,
    )

    parts = line.split(None, 2)
    if len(parts) < 2:
        raise _refuse("InvalidSshKey", N_("not an OpenSSH public key: expected "
                                       "'<type> <base64 key> [comment]', as in a .pub file"))
    key_type, blob_text = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) == 3 else ""
    if key_type in _REFUSED_TYPES:
        raise _refuse("UnsupportedSshKeyType", _REFUSED_TYPES[key_type])
    if key_type.endswith("-cert-v01@openssh.com"):
        raise _refuse("UnsupportedSshKeyType", N_("this is an SSH certificate; paste the public "
                                               "key itself"))
    if key_type.startswith("sk-"):
        raise _refuse("UnsupportedSshKeyType", N_("security-key (sk-) keys are not supported; "
                                               "use ed25519, ECDSA or RSA"))
    try:
        blob = base64.b64decode(blob_text, validate=True)
        key = load_ssh_public_key(f"{key_type} {blob_text}".encode("ascii"))
    except (binascii.Error, ValueError, UnicodeError):
        raise _refuse("InvalidSshKey", N_("not an OpenSSH public key: its data cannot be "
                                       "read")) from None
    except UnsupportedAlgorithm:
        message = (N_("%(type)s keys are not supported; use ed25519, ECDSA or RSA", type=key_type)
                   if _KEY_TYPE.fullmatch(key_type) else
                   N_("this type keys are not supported; use ed25519, ECDSA or RSA"))
        raise _refuse("UnsupportedSshKeyType", message) from None
    _check_strength(key)
    canonical = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
    algorithm, canonical_blob = canonical.split(" ", 1)
    if base64.b64decode(canonical_blob) != blob:
        raise _refuse("InvalidSshKey", N_("not an OpenSSH public key: its data is not canonical"))
    if len(comment) > 255:
        raise _refuse("maxLength", N_("the key's comment is longer than 255 characters"))
    return ParsedKey(algorithm, canonical, fingerprint(blob), comment)


def _check_strength(key: object) -> None:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    if isinstance(key, ed25519.Ed25519PublicKey):
        return
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVES:
            raise _refuse("UnsupportedSshKeyType", N_(
                "ECDSA on %(curve)s is not supported; use P-256, P-384 or P-521",
                curve=key.curve.name))
        return
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise _refuse("WeakSshKey", N_(
                "RSA keys need at least %(min)s bits; this one has %(bits)s",
                min=MIN_RSA_BITS, bits=key.key_size))
        if key.key_size > MAX_RSA_BITS:
            raise _refuse("UnsupportedSshKeyType", N_(
                "RSA keys of more than %(max)s bits are not accepted", max=MAX_RSA_BITS))
        return
    if isinstance(key, dsa.DSAPublicKey):
        raise _refuse("UnsupportedSshKeyType", _REFUSED_TYPES["ssh-dss"])
    raise _refuse("UnsupportedSshKeyType", N_("this key type is not supported; use ed25519, "
                                           "ECDSA or RSA"))


def _future(deps: Deps, expires_at: dt.datetime | None) -> dt.datetime | None:
    if expires_at is not None and expires_at <= deps.clock():
        raise ValidationFailed.on("expires_at", "formatMinimum",
                                  N_("expiresAt must lie in the future"))
    return expires_at


def list_keys(deps: Deps, user: User, *, limit: int, skip: int) -> tuple[list[SshKey], int]:
    """One page of the user's keys, oldest first, and how many there are."""
    total = deps.session.scalar(select(func.count()).select_from(SshKey)
                                .where(SshKey.user_id == user.id)) or 0
    items = list(deps.session.scalars(
        select(SshKey).where(SshKey.user_id == user.id)
        .order_by(SshKey.created_at, SshKey.id).limit(limit).offset(skip))) if limit else []
    return items, total


def get_key(deps: Deps, user: User, key_id: str) -> SshKey:
    """The user's key ``key_id``; 404 when it is not one of theirs (or no UUID)."""
    try:
        wanted = uuid.UUID(key_id)
    except ValueError:
        raise NotFound(N_("no SSH key with this id")) from None
    key = deps.session.scalars(select(SshKey).where(SshKey.id == wanted,
                                                    SshKey.user_id == user.id)).first()
    if key is None:
        raise NotFound(N_("no SSH key with this id"))
    return key


def add_key(deps: Deps, user: User, command: AddSshKey) -> SshKey:
    """Store a new key for ``user``; without a ``comment``, the key line's is kept.

    400: unreadable, weak or unsupported key (on ``public_key``), past ``expires_at``, or
    the user has ``USERCORE_SSH_KEYS_MAX`` keys already; 409: the user has this key already.
    """
    parsed = parse_public_key(command.public_key)
    expires_at = _future(deps, command.expires_at)
    count = deps.session.scalar(select(func.count()).select_from(SshKey)
                                .where(SshKey.user_id == user.id)) or 0
    if count >= deps.config.ssh_keys_max:
        raise ValidationFailed.single("", "maxItems", N_("at most %(count)s SSH keys can be stored",
                                                         count=deps.config.ssh_keys_max))
    duplicate = Conflict(N_("this SSH key is stored already (SHA256 %(fingerprint)s)",
                            fingerprint=parsed.fingerprint))
    if deps.session.scalar(select(SshKey.id).where(
            SshKey.user_id == user.id, SshKey.fingerprint == parsed.fingerprint)) is not None:
        raise duplicate
    key = SshKey(user_id=user.id, algorithm=parsed.algorithm, public_key=parsed.public_key,
                 fingerprint=parsed.fingerprint, comment=command.comment or parsed.comment,
                 expires_at=expires_at)
    deps.session.add(key)
    try:
        deps.session.flush()
    except IntegrityError:  # the same key added by a parallel request
        raise duplicate from None
    after_commit(deps, lambda: signals.ssh_key_added.send(deps.sender, user=user, ssh_key=key))
    return key


def edit_key(deps: Deps, user: User, key_id: str, command: EditSshKey) -> SshKey:
    """Replace the comment and expiry of the user's key (no ``expires_at``: none)."""
    key = get_key(deps, user, key_id)
    if command.expires_at != key.expires_at:
        _future(deps, command.expires_at)
    key.comment, key.expires_at = command.comment, command.expires_at
    deps.session.flush()
    return key


def remove_key(deps: Deps, user: User, key_id: str) -> None:
    """Delete the user's key; 404 when it is not one of theirs."""
    key = get_key(deps, user, key_id)
    deps.session.execute(delete(SshKey).where(SshKey.id == key.id))
    after_commit(deps, lambda: signals.ssh_key_removed.send(deps.sender, user=user,
                                                            ssh_key=key))
