"""A software WebAuthn authenticator and client for the tests: P-256 keys from
``cryptography``, the authenticator data, attestation object and COSE key encoded by
``fido2`` (Yubico's implementation), the client data as a browser writes it. It answers the
JSON options our operations hand out with the JSON a browser's ``toJSON()`` gives.

(PyPI ``soft-webauthn`` pins ``fido2<2``, which pins ``cryptography<45``: it cannot be
installed beside Authlib; this is the same thing on ``fido2`` 2.x.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData

FLAG = AuthenticatorData.FLAG


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    """What the authenticator keeps of one credential."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


class SoftAuthenticator:
    """One authenticator (a platform authenticator with user verification), its client
    speaking for ``origin``. ``synced``: its credentials are backup eligible and backed up
    (a synced passkey)."""

    def __init__(self, origin: str = "https://app.example.test", *, synced: bool = False,
                 user_verification: bool = True, counting: bool = True) -> None:
        self.origin = origin
        self.synced = synced
        self.user_verification = user_verification
        self.counting = counting
        self.credentials: dict[bytes, StoredCredential] = {}

    def _flags(self) -> FLAG:
        flags = FLAG.UP | (FLAG.UV if self.user_verification else FLAG(0))
        return flags | (FLAG.BE | FLAG.BS if self.synced else FLAG(0))

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None,
               rp_id: str | None = None) -> dict[str, Any]:
        """``navigator.credentials.create({publicKey: options})``, as JSON."""
        rp = rp_id or options["rp"]["id"]
        excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials", [])}
        if excluded & set(self.credentials):
            raise ValueError("InvalidStateError: a credential is excluded")
        key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(32)
        handle = unb64url(options["user"]["id"])
        self.credentials[credential_id] = StoredCredential(credential_id, key, rp, handle)
        attested = AttestedCredentialData.create(
            b"\0" * 16, credential_id, ES256.from_cryptography_key(key.public_key()))
        auth_data = AuthenticatorData.create(hashlib.sha256(rp.encode()).digest(),
                                             self._flags() | FLAG.AT, 0, attested)
        attestation = AttestationObject.create("none", auth_data, {})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {"id": b64url(credential_id), "rawId": b64url(credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(bytes(attestation)),
                             "transports": ["internal", "hybrid"]}}

    def get(self, options: dict[str, Any], *, origin: str | None = None,
            rp_id: str | None = None, credential_id: bytes | None = None) -> dict[str, Any]:
        """``navigator.credentials.get({publicKey: options})``, as JSON: the credential
        ``credential_id``, else the first allowed one held (or, with no allow list, the
        first held for the RP id: a discoverable credential)."""
        rp = rp_id or options["rpId"]
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials", [])]
        if credential_id is None:
            candidates = [c for c in self.credentials.values()
                          if c.rp_id == rp and (not allowed or c.id in allowed)]
            if not candidates:
                raise ValueError("NotAllowedError: no credential")
            credential_id = candidates[0].id
        stored = self.credentials[credential_id]
        if self.counting:
            stored.sign_count += 1
        auth_data = AuthenticatorData.create(hashlib.sha256(rp.encode()).digest(),
                                             self._flags(), stored.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = stored.key.sign(bytes(auth_data) + hashlib.sha256(client_data).digest(),
                                    ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(stored.id), "rawId": b64url(stored.id), "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(bytes(auth_data)),
                             "signature": b64url(signature),
                             "userHandle": b64url(stored.user_handle)}}
