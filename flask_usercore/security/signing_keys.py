"""The key that signs JWT access tokens and ID tokens (``USERCORE_OAUTH2_JWT_KEY``), and
the JWKS of its public half that other services verify them with.

An RSA key (2048 bits or more) signs with RS256, an EC key with ES256 (P-256) or ES384
(P-384). The ``kid`` is the key's RFC 7638 thumbprint, so a new key gets a new ``kid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc.jwk import ECKey, KeySet, RSAKey

_EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384"}
#: cryptography's curve names, as JOSE names them.
_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}


class KeyProblem(ValueError):
    """The configured text is not a usable private signing key."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its JWS algorithm and key id."""

    key: RSAKey | ECKey
    alg: str
    kid: str

    @property
    def key_set(self) -> KeySet:
        """The key as a one-key set: joserfc then writes its ``kid`` into the JWS header."""
        return KeySet([self.key])

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with ``kid``, ``alg`` and ``use``."""
        return dict(self.key.as_dict(private=False, alg=self.alg, use="sig"))

    def jwks(self) -> dict[str, Any]:
        """The JWK Set served at ``{prefix}/oauth2/jwks``."""
        return {"keys": [self.public_jwk()]}


def load_signing_key(pem: str) -> SigningKey:
    """Parse a PEM private key; :class:`KeyProblem` when it is not one we sign with."""
    try:
        private = load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:  # also an unencrypted-only or a public key
        raise KeyProblem(f"not an unencrypted PEM private key ({type(exc).__name__})") from None
    key: RSAKey | ECKey
    if isinstance(private, rsa.RSAPrivateKey):
        if private.key_size < 2048:
            raise KeyProblem("an RSA key needs at least 2048 bits")
        key, alg = RSAKey.import_key(private), "RS256"
    elif isinstance(private, ec.EllipticCurvePrivateKey) and (
            alg_name := _EC_ALGORITHMS.get(_CURVES.get(private.curve.name, ""))):
        key, alg = ECKey.import_key(private), alg_name
    else:
        raise KeyProblem("only RSA keys and EC keys on P-256 or P-384 are supported")
    key.ensure_kid()  # the RFC 7638 thumbprint
    return SigningKey(key, alg, str(key.kid))
