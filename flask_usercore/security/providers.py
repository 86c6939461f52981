"""The external sign-in providers of ``USERCORE_PROVIDERS`` (docs/providers.md), checked at
start-up: any OpenID Connect provider by its issuer, and presets for GitHub and Google."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: A provider's name: its key in ``USERCORE_PROVIDERS`` and its path segment.
PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
#: The kinds of provider: ``oidc`` (any OpenID Connect issuer, with discovery), and presets.
KINDS = ("oidc", "github", "google")
GOOGLE_ISSUER = "https://accounts.google.com"
#: GitHub is OAuth2 only (no ID token): its users are identified under this issuer by the
#: numeric id of ``GET /user``, their verified addresses read from ``GET /user/emails``.
GITHUB_ISSUER = "https://github.com"
_SCOPES = {"oidc": "openid email profile", "google": "openid email profile",
           "github": "read:user user:email"}
_TITLES = {"github": "GitHub", "google": "Google"}
_FLAGS = ("allow_signup", "trust_email", "mfa_counts", "keep_tokens")
_KEYS = frozenset({"kind", "issuer", "client_id", "client_secret", "scope", "title", *_FLAGS})


class ProviderConfigError(ValueError):
    """A provider's settings are wrong (raised as ``ConfigError`` by the config)."""


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """One provider of ``USERCORE_PROVIDERS``."""

    name: str
    kind: str
    #: The OpenID Connect issuer (discovery at ``{issuer}/.well-known/openid-configuration``);
    #: GitHub's is :data:`GITHUB_ISSUER`, which has no discovery.
    issuer: str
    client_id: str
    client_secret: str
    scope: str
    #: Shown to users (``GET {prefix}/providers``).
    title: str
    #: A new identity may create an account (without a password).
    allow_signup: bool = False
    #: The provider's verified e-mail addresses are trusted: a first sign-in whose verified
    #: address is an existing account's is linked to it (else it is refused).
    trust_email: bool = False
    #: The provider's own MFA (an ID token whose ``amr`` holds ``mfa``) stands for ours.
    mfa_counts: bool = False
    #: Keep the provider's tokens (encrypted like TOTP seeds).
    keep_tokens: bool = False

    @property
    def discovery_url(self) -> str | None:
        """The OpenID Connect discovery document's URL; None for GitHub."""
        if self.kind == "github":
            return None
        return f"{self.issuer}/.well-known/openid-configuration"


def _flag(where: str, options: Mapping[str, Any], key: str) -> bool:
    value = options.get(key, False)
    if not isinstance(value, bool):
        raise ProviderConfigError(f"{where}[{key!r}] must be true or false")
    return value


def _text(where: str, options: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = options.get(key, default)
    if not isinstance(value, str) or not value:
        raise ProviderConfigError(f"{where}[{key!r}] must be a non-empty string")
    return value


def provider_settings(name: Any, options: Any) -> ProviderSettings:
    """One provider's settings from its entry of ``USERCORE_PROVIDERS``."""
    where = f"USERCORE_PROVIDERS[{name!r}]"
    if not isinstance(name, str) or not PROVIDER_NAME.fullmatch(name):
        raise ProviderConfigError(f"{where}: a provider's name is 1-32 characters of a-z, 0-9, "
                                  "'_', '-', starting with a letter or digit")
    if not isinstance(options, Mapping):
        raise ProviderConfigError(f"{where} must be a dict of settings")
    unknown = sorted(set(options) - _KEYS)
    if unknown:
        raise ProviderConfigError(f"{where}: unknown settings {unknown}; known: {sorted(_KEYS)}")
    kind = options.get("kind", "oidc")
    if kind not in KINDS:
        raise ProviderConfigError(f"{where}['kind'] must be one of {list(KINDS)}")
    preset = {"google": GOOGLE_ISSUER, "github": GITHUB_ISSUER}.get(kind)
    if preset is not None and options.get("issuer", preset) != preset:
        raise ProviderConfigError(f"{where}: the {kind} preset's issuer is {preset}")
    issuer = _text(where, options, "issuer", preset)
    if not issuer.startswith(("https://", "http://")) or issuer.endswith("/") or any(
            c in issuer for c in "?# "):
        raise ProviderConfigError(f"{where}['issuer'] must be an http(s) URL without query, "
                                  "fragment or trailing '/'")
    scope = _text(where, options, "scope", _SCOPES[kind])
    if kind != "github" and "openid" not in scope.split():
        raise ProviderConfigError(f"{where}['scope'] must include 'openid'")
    return ProviderSettings(
        name=name, kind=kind, issuer=issuer, client_id=_text(where, options, "client_id"),
        client_secret=_text(where, options, "client_secret"), scope=scope,
        title=_text(where, options, "title", _TITLES.get(kind, name)),
        **{flag: _flag(where, options, flag) for flag in _FLAGS})


def parse_providers(value: Any) -> Mapping[str, ProviderSettings]:
    """``USERCORE_PROVIDERS`` (a dict of provider name to settings), checked."""
    if not isinstance(value, Mapping):
        raise ProviderConfigError("USERCORE_PROVIDERS must be a dict of provider name to "
                                  "settings")
    return MappingProxyType({name: provider_settings(name, options)
                             for name, options in value.items()})
