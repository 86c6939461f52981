"""Commands of the sign-in by provider and the linked identities (docs/providers.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """Who the provider says signed in, after the view checked its answer (state, PKCE,
    and for OpenID Connect the ID token's signature, ``iss``, ``aud``, ``exp`` and
    ``nonce``): the identity is ``issuer`` and ``subject``."""

    provider: str
    issuer: str
    subject: str
    email: str | None = None
    #: The provider vouches for the address (``email_verified``, GitHub's verified primary).
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    #: The provider's own MFA was used (the ID token's ``amr`` holds ``mfa``).
    provider_mfa: bool = False
    #: The provider's tokens as JSON, when the provider's ``keep_tokens`` is on.
    tokens: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderQuery:
    """``?cookieOnly=true`` on the start of a sign-in: the session goes into the HttpOnly
    cookie."""

    cookie_only: bool = False


@dataclass(frozen=True, slots=True)
class ProviderMfa:
    """``POST {prefix}/providers/authenticate-mfa``: the second factor of a sign-in by
    provider that answered 202."""

    multi_factor_code: str
