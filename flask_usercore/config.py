"""``USERCORE_*`` configuration, read once into a typed, frozen, validated object.

Every key is documented in ``docs/configuration.md``. :func:`load_config` is called by
:meth:`flask_usercore.UserCore.init_app`; a wrong type or value raises :class:`ConfigError`
at start-up instead of failing later in a request.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from limits import parse_many

from .security.policy import NAME_PATTERN, PolicyRegistry, policy_registry
from .security.providers import ProviderConfigError, ProviderSettings, parse_providers

if TYPE_CHECKING:
    from flask import Flask

SameSite = Literal["Lax", "Strict", "None"]
#: Avatar types the extension can check and re-encode, and Pillow's name of each format.
AVATAR_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_PERSON = frozenset({"user_id", "email"})
_WITH_TOKEN = _PERSON | {"token"}
#: The mails that may carry a link of the host's (``USERCORE_MAIL_LINKS``), each with the
#: placeholders its link template may use: ``{user_id}``, ``{email}`` (the address the mail
#: goes to) and, for a mail that carries a code, ``{token}``.
MAIL_LINK_FLOWS: Mapping[str, frozenset[str]] = MappingProxyType({
    "registration": _WITH_TOKEN,
    "email-change": _WITH_TOKEN,
    "password-reset": _WITH_TOKEN,
    "email-change-notice": _PERSON,
    "password-changed": _PERSON,
    "mfa-reset": _PERSON,
    "mfa-recovery-code-used": _PERSON,
})


class ConfigError(ValueError):
    """A ``USERCORE_*`` key has a wrong type or value."""


@dataclasses.dataclass(frozen=True, slots=True)
class UserCoreConfig:
    """The extension's settings. Field ``foo_bar`` is read from ``USERCORE_FOO_BAR``."""

    #: URL prefix of the automatically registered blueprint.
    url_prefix: str = "/v2"
    #: Register the blueprint in ``init_app``; set False to call ``create_blueprint`` yourself.
    register_blueprint: bool = True
    #: Key for signing, code HMACs and the TOTP secret encryption. Defaults to ``SECRET_KEY``.
    secret_key: str = ""
    #: Earlier secret keys, still accepted for reading (TOTP secrets, code and recovery-code
    #: HMACs) but never used for new ones. Defaults to ``SECRET_KEY_FALLBACKS`` when
    #: ``secret_key`` came from ``SECRET_KEY``.
    secret_key_fallbacks: tuple[str, ...] = ()
    #: Lifetime of a session access token, in seconds.
    access_token_ttl: int = 3600
    #: Lifetime of a session refresh token, in seconds.
    refresh_token_ttl: int = 30 * 24 * 3600
    #: Lifetime of e-mail verification and other one-time codes, in seconds.
    code_ttl: int = 24 * 3600
    #: Wrong guesses allowed on one one-time code before it is burnt.
    code_max_attempts: int = 5
    #: Lifetime of a password-reset token (the link of the reset mail), in seconds.
    password_reset_ttl: int = 3600
    #: Lifetime of a support code (``GET /v2/users/self/credentials/support-code``), in seconds.
    support_code_ttl: int = 3600
    #: Refuse login until the registration e-mail is verified.
    require_verified_email: bool = True
    #: argon2id parameters (OWASP: m=19 MiB, t=2, p=1).
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19 * 1024
    argon2_parallelism: int = 1
    #: Name of the password policy enforced on every password write: a shipped one or one
    #: registered for the app (``register_policy``) before ``init_app``.
    password_policy: str = "mittwald"  # noqa: S105 (a policy name)
    #: Issuer shown in authenticator apps.
    mfa_issuer: str = "flask-usercore"
    #: Seconds a right password answered with 202 is remembered for ``/v2/authenticate-mfa``.
    mfa_first_factor_ttl: int = 300
    #: Write every mail as an ``.eml`` file into this folder (else mail is logged).
    mail_outbox: str = ""
    #: ``From`` address of the mails the extension sends.
    mail_sender: str = "no-reply@localhost"
    #: Where users reach the app (``https://example.com``): the mails' API addresses and the
    #: relative ``mail_links`` start with it. Empty: the mails name API paths only.
    public_url: str = ""
    #: A link per mail (``"password-reset": "/#/reset?user={user_id}&token={token}"``): the
    #: mail links there instead of naming the API call (:data:`MAIL_LINK_FLOWS`).
    mail_links: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: MappingProxyType({}), hash=False)
    #: ``SameSite`` attribute of the ``x-access-token`` cookie.
    cookie_samesite: SameSite = "Lax"
    #: Accept the ``x-access-token`` cookie (set by ``?cookieOnly=true`` logins) on every
    #: operation; unsafe methods with the cookie alone must come from a trusted origin.
    cookie_auth: bool = True
    #: Origins (``https://app.example.com``) besides the API's own whose pages may send
    #: cookie-authenticated changes.
    trusted_origins: tuple[str, ...] = ()
    #: Largest request body accepted under our prefix, in bytes (413 beyond).
    max_body_bytes: int = 64 * 1024
    #: Where rate-limit counters live: ``memory://`` (per process) or ``redis://host:6379``.
    ratelimit_storage_uri: str = "memory://"
    #: While that storage is unreachable: False answers a JSON 503, True goes on without limits.
    ratelimit_fail_open: bool = False
    #: Connect and read timeout of every Redis call, in milliseconds (no retries).
    redis_timeout_ms: int = 500
    #: Seconds a worker stops asking Redis after a failure (the circuit breaker).
    redis_retry_seconds: int = 5
    #: Limits per client address on login, registration and verification; empty turns them off.
    ratelimit_auth: str = "20/minute;200/hour"
    #: Wrong passwords or second-factor codes for one account before it is locked; 0: off.
    lockout_threshold: int = 5
    #: Length of the first lock, in seconds; each further failure doubles it.
    lockout_seconds: int = 30
    #: Longest lock, in seconds.
    lockout_max_seconds: int = 900
    #: How long an account's failures are remembered, in seconds from the first of them.
    lockout_window: int = 24 * 3600
    #: Seconds a session stays "fresh" after its user proved who they are (login or
    #: re-authentication): changes of how one signs in need that, or the password.
    reauth_max_age: int = 15 * 60
    #: Seconds between two writes of the buffered last-use times of tokens (per worker).
    last_access_flush_seconds: int = 5
    #: API tokens one user may hold.
    max_api_tokens: int = 100
    #: Lifetime of an access-token retrieval key, in seconds.
    retrieval_key_ttl: int = 60
    #: A password change or reset also revokes the user's API tokens (else they survive it).
    password_change_revokes_api_tokens: bool = False
    #: Largest personalized-settings document (``settingsString`` decoded), in bytes.
    max_settings_bytes: int = 64 * 1024
    #: SSH keys one user may store.
    ssh_keys_max: int = 100
    #: Days a muted poll stays hidden (``dontShowUntil``).
    poll_mute_days: int = 30
    #: Write every SMS as a text file into this folder (else SMS are logged).
    sms_outbox: str = ""
    #: Seconds a mail or SMS is retried before it is dropped unsent (``flask usercore deliver``).
    delivery_ttl: int = 24 * 3600
    #: Seconds before a failed mail or SMS is tried again, doubled after each failure (at most
    #: an hour); also the longest a send may take before another delivery may retry it.
    delivery_retry_seconds: int = 60
    #: Phone codes sent, per number and per user (resends included); empty turns it off.
    sms_ratelimit: str = "1/minute;5/hour;10/day"
    #: Mails of the operations that send them on request, per recipient and per account.
    ratelimit_mail: str = "3/minute;10/hour;20/day"
    #: Folder of the default avatar storage; default ``<instance path>/usercore-avatars``.
    avatar_folder: str = ""
    #: Largest avatar file accepted, in bytes.
    avatar_max_bytes: int = 2 * 1024 * 1024
    #: Image types accepted as avatars (the type read from the content, not the declared one).
    avatar_mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    #: Smallest and largest avatar width and height, in pixels.
    avatar_min_pixels: int = 32
    avatar_max_pixels: int = 4096
    #: Lifetime of an avatar upload ``refId``, in seconds.
    upload_token_ttl: int = 3600
    #: Lifetime of an OAuth2 access token, in seconds.
    oauth2_access_token_ttl: int = 3600
    #: Lifetime of an OAuth2 refresh token, in seconds (each refresh starts it again).
    oauth2_refresh_token_ttl: int = 30 * 24 * 3600
    #: Lifetime of an OAuth2 authorization code, in seconds.
    oauth2_code_ttl: int = 600
    #: OAuth2 issuer identifier (``https://id.example.com/v2``); default: the request's
    #: scheme and host followed by ``url_prefix``.
    oauth2_issuer: str = ""
    #: PEM private key (RSA >= 2048 bits, EC P-256/P-384): access tokens become RFC 9068
    #: JWTs and ``openid`` is offered. Empty: opaque access tokens, no OpenID Connect.
    oauth2_jwt_key: str = ""
    #: Limits on the OAuth2 token endpoint, per client address and per client; empty: off.
    oauth2_ratelimit: str = "60/minute;1000/hour"
    #: One structured record per request under the prefix on ``flask_usercore.request``.
    request_log: bool = True
    #: Header of the request id: read when a safe token, else generated; always echoed.
    request_id_header: str = "X-Request-ID"
    #: On SQLite, ``PRAGMA foreign_keys=ON`` for every connection of the engine the library's
    #: tables use, the host's tables on that engine included. False leaves the pragma to the
    #: host; where it is off, the library deletes the rows a cascade would (a deleted user's,
    #: an OAuth2 client's) itself. No effect on other databases.
    sqlite_foreign_keys: bool = True
    #: External sign-in providers by name (docs/providers.md): ``{"github": {"kind":
    #: "github", "client_id": ..., "client_secret": ...}}``; empty: none.
    providers: Mapping[str, ProviderSettings] = dataclasses.field(
        default_factory=lambda: MappingProxyType({}), hash=False)
    #: Where a browser goes after a cookie-only sign-in or a link by provider (an http(s)
    #: URL or a path); empty: the callback answers like ``POST /v2/authenticate``.
    provider_return_url: str = ""
    #: Passkeys (docs/passkeys.md): the WebAuthn relying party id, a domain such as
    #: ``example.com``. Empty: the host of ``USERCORE_PUBLIC_URL``; both empty: passkeys off.
    webauthn_rp_id: str = ""
    #: The relying party's name shown by the browser; empty: ``USERCORE_MFA_ISSUER``.
    webauthn_rp_name: str = ""
    #: Origins whose pages may use the passkeys (``https://app.example.com``), each on the
    #: RP id or a subdomain of it. Empty: ``USERCORE_PUBLIC_URL``.
    webauthn_origins: tuple[str, ...] = ()
    #: Attestation asked for at registration: ``none``, ``indirect``, ``direct``.
    webauthn_attestation: str = "none"
    #: Lifetime of a passkey ceremony's challenge, in seconds.
    webauthn_challenge_ttl: int = 300
    #: The account pages (docs/pages.md): a blueprint of server-rendered pages on the same
    #: services as the API. ``UserCore(app, db=db, pages=True)`` turns them on too.
    pages: bool = False
    #: Where the account pages are mounted.
    pages_prefix: str = "/account"
    #: The languages of the pages, mails and error messages (docs/languages.md), the first
    #: the default: the locale is the best match of ``Accept-Language`` among them, unless
    #: the host runs Flask-Babel with a locale selector of its own.
    languages: tuple[str, ...] = ("en", "de")
    #: Folders of the host's catalogues (``<folder>/<language>/LC_MESSAGES/usercore.po`` or
    #: ``.mo``), searched after ours: a host adds a language, or rewords ours.
    translation_directories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.url_prefix.startswith("/") or self.url_prefix.endswith("/"):
            raise ConfigError("USERCORE_URL_PREFIX must start with '/' and not end with '/'")
        if len(self.secret_key) < 16:
            raise ConfigError(
                "USERCORE_SECRET_KEY (or SECRET_KEY) must be set to at least 16 characters"
            )
        if any(len(key) < 16 for key in self.secret_key_fallbacks):
            raise ConfigError("every key of USERCORE_SECRET_KEY_FALLBACKS (or "
                              "SECRET_KEY_FALLBACKS) must have at least 16 characters")
        for name in ("access_token_ttl", "refresh_token_ttl", "code_ttl", "code_max_attempts",
                     "max_body_bytes", "argon2_time_cost", "argon2_memory_cost",
                     "argon2_parallelism", "lockout_seconds", "lockout_window",
                     "mfa_first_factor_ttl", "last_access_flush_seconds", "max_api_tokens",
                     "retrieval_key_ttl", "password_reset_ttl", "support_code_ttl",
                     "redis_timeout_ms", "redis_retry_seconds", "reauth_max_age",
                     "delivery_ttl", "delivery_retry_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"USERCORE_{name.upper()} must be a positive integer")
        if self.lockout_threshold < 0:
            raise ConfigError("USERCORE_LOCKOUT_THRESHOLD must be 0 (off) or a positive integer")
        if self.lockout_max_seconds < self.lockout_seconds:
            raise ConfigError("USERCORE_LOCKOUT_MAX_SECONDS must be at least "
                              "USERCORE_LOCKOUT_SECONDS")
        if not NAME_PATTERN.fullmatch(self.password_policy):
            raise ConfigError("USERCORE_PASSWORD_POLICY must be a policy name: 1-64 characters "
                              "of A-Z, a-z, 0-9, '.', '_', '-'")
        if self.ratelimit_auth:
            try:
                parse_many(self.ratelimit_auth)
            except ValueError as exc:
                raise ConfigError(f"USERCORE_RATELIMIT_AUTH is not a limit string: {exc}") from None
        for origin in self.trusted_origins:
            if "://" not in origin or origin.endswith("/"):
                raise ConfigError("USERCORE_TRUSTED_ORIGINS holds origins such as "
                                  f"'https://app.example.com', not {origin!r}")
        if self.cookie_samesite not in get_args(SameSite):
            raise ConfigError("USERCORE_COOKIE_SAMESITE must be one of Lax, Strict, None")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", self.request_id_header):
            raise ConfigError("USERCORE_REQUEST_ID_HEADER must be a header name such as "
                              "'X-Request-ID'")
        self._check_resources()
        self._check_oauth2()
        self._check_links()
        if self.provider_return_url and not (_http_url(self.provider_return_url) or (
                self.provider_return_url.startswith("/")
                and not self.provider_return_url.startswith("//"))):
            raise ConfigError("USERCORE_PROVIDER_RETURN_URL must be an http(s) URL or a path "
                              "starting with '/'")
        self._check_webauthn()
        if not self.pages_prefix.startswith("/") or self.pages_prefix.endswith("/"):
            raise ConfigError("USERCORE_PAGES_PREFIX must start with '/' and not end with '/'")
        if not self.languages or not all(
                re.fullmatch(r"[a-z]{2,3}(_[A-Z][A-Za-z]{1,3})?", tag) for tag in self.languages):
            raise ConfigError("USERCORE_LANGUAGES holds one or more locale names such as "
                              "'en', 'de' or 'pt_BR'")

    def _check_links(self) -> None:
        """The public URL and the mails' link templates."""
        if self.public_url and not _http_url(self.public_url):
            raise ConfigError("USERCORE_PUBLIC_URL must be an http(s) URL without query, "
                              "fragment or trailing '/', such as 'https://example.com'")
        for flow, template in self.mail_links.items():
            allowed = MAIL_LINK_FLOWS.get(flow)
            if allowed is None:
                raise ConfigError(f"USERCORE_MAIL_LINKS: no mail is called {flow!r}; the mails "
                                  f"with links are {sorted(MAIL_LINK_FLOWS)}")
            check_link_template(flow, template, allowed, public_url=self.public_url)

    def _check_oauth2(self) -> None:
        """The OAuth2 keys: lifetimes, issuer URL, signing key, limits."""
        for name in ("oauth2_access_token_ttl", "oauth2_refresh_token_ttl", "oauth2_code_ttl"):
            if getattr(self, name) < 1:
                raise ConfigError(f"USERCORE_{name.upper()} must be a positive integer")
        if self.oauth2_issuer and (not self.oauth2_issuer.startswith(("https://", "http://"))
                                   or self.oauth2_issuer.endswith("/")
                                   or any(c in self.oauth2_issuer for c in "?#")):
            raise ConfigError("USERCORE_OAUTH2_ISSUER must be an http(s) URL without query, "
                              "fragment or trailing '/'")
        if self.oauth2_jwt_key:
            from .security.signing_keys import KeyProblem, load_signing_key

            try:
                load_signing_key(self.oauth2_jwt_key)
            except KeyProblem as exc:
                raise ConfigError(f"USERCORE_OAUTH2_JWT_KEY: {exc}") from None
        if self.oauth2_ratelimit:
            try:
                parse_many(self.oauth2_ratelimit)
            except ValueError as exc:
                raise ConfigError(
                    f"USERCORE_OAUTH2_RATELIMIT is not a limit string: {exc}") from None

    def _check_resources(self) -> None:
        """The keys of the user's resources (settings, SSH keys, SMS, avatars)."""
        for name in ("max_settings_bytes", "ssh_keys_max", "poll_mute_days",
                     "avatar_max_bytes", "avatar_min_pixels", "upload_token_ttl"):
            if getattr(self, name) < 1:
                raise ConfigError(f"USERCORE_{name.upper()} must be a positive integer")
        if self.avatar_max_pixels < self.avatar_min_pixels:
            raise ConfigError("USERCORE_AVATAR_MAX_PIXELS must be at least "
                              "USERCORE_AVATAR_MIN_PIXELS")
        unknown = set(self.avatar_mime_types) - set(AVATAR_TYPES)
        if unknown or not self.avatar_mime_types:
            raise ConfigError(f"USERCORE_AVATAR_MIME_TYPES must be some of {list(AVATAR_TYPES)}")
        for name in ("sms_ratelimit", "ratelimit_mail"):
            try:
                parse_many(getattr(self, name)) if getattr(self, name) else None
            except ValueError as exc:
                raise ConfigError(f"USERCORE_{name.upper()} is not a limit string: "
                                  f"{exc}") from None

    def _check_webauthn(self) -> None:
        """The passkey keys: RP id, origins on it, attestation, challenge lifetime."""
        if self.webauthn_challenge_ttl < 1:
            raise ConfigError("USERCORE_WEBAUTHN_CHALLENGE_TTL must be a positive integer")
        if self.webauthn_attestation not in ("none", "indirect", "direct"):
            raise ConfigError("USERCORE_WEBAUTHN_ATTESTATION must be one of none, indirect, "
                              "direct")
        rp_id = self.webauthn_rp_id
        if rp_id and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*"
                                      r"[a-z0-9])?)*", rp_id):
            raise ConfigError("USERCORE_WEBAUTHN_RP_ID must be a lowercase domain such as "
                              f"'example.com' (no scheme, port or path), not {rp_id!r}")
        if self.webauthn_origins and not (rp_id or self.public_url):
            raise ConfigError("USERCORE_WEBAUTHN_ORIGINS needs USERCORE_WEBAUTHN_RP_ID")
        relying_party = self.passkey_relying_party
        if rp_id and relying_party is None:
            raise ConfigError("USERCORE_WEBAUTHN_RP_ID needs USERCORE_WEBAUTHN_ORIGINS (or an "
                              "https USERCORE_PUBLIC_URL)")
        for origin in self.webauthn_origins:
            parts = urlsplit(origin)
            host = parts.hostname or ""
            if (not _http_url(origin) or parts.path
                    or (parts.scheme != "https" and host != "localhost")):
                raise ConfigError("USERCORE_WEBAUTHN_ORIGINS holds https origins such as "
                                  f"'https://app.example.com' (http only for localhost), "
                                  f"not {origin!r}")
            if relying_party and host != relying_party[0] \
                    and not host.endswith("." + relying_party[0]):
                raise ConfigError(f"USERCORE_WEBAUTHN_ORIGINS: {origin!r} is not on the RP id "
                                  f"{relying_party[0]!r} or a subdomain of it")

    @property
    def passkey_relying_party(self) -> tuple[str, tuple[str, ...]] | None:
        """The passkeys' RP id and allowed origins, or None when passkeys are off."""
        public = urlsplit(self.public_url)
        rp_id = self.webauthn_rp_id or (public.hostname or "")
        origins = self.webauthn_origins
        if not origins and (public.scheme == "https" or public.hostname == "localhost"):
            origins = (f"{public.scheme}://{public.netloc}",)
        return (rp_id, origins) if rp_id and origins else None

    @property
    def outbox_path(self) -> Path | None:
        """The mail outbox folder, or None when mail is only logged."""
        return Path(self.mail_outbox) if self.mail_outbox else None

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The current secret key, then the fallbacks: the keys that read what was made."""
        return (self.secret_key, *self.secret_key_fallbacks)


#: What no configured URL may contain: spaces, control characters, backslashes.
_NOT_IN_LINKS = " \\" + "".join(map(chr, range(32))) + "\x7f"


def _http_url(url: str) -> bool:
    """``url`` is an http(s) URL with a host and without query, fragment or trailing '/'."""
    scheme, _, rest = url.partition("://")
    return (scheme in ("http", "https") and bool(rest) and not rest.startswith("/")
            and not url.endswith("/") and not any(c in url for c in "?#" + _NOT_IN_LINKS))


def check_link_template(flow: str, template: str, allowed: frozenset[str], *,
                        public_url: str) -> None:
    """Raise :class:`ConfigError` unless ``template`` is a link template of the mail ``flow``:
    an http(s) URL, or a path starting with ``/`` when ``public_url`` is set, whose
    ``{placeholders}`` are plain names among ``allowed`` (no attribute, index, format spec or
    conversion)."""
    where = f"USERCORE_MAIL_LINKS[{flow!r}]"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"{where} is not a link template: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise ConfigError(f"{where}: {{{name}}} is not a placeholder of this mail; it "
                              f"may use {', '.join(f'{{{n}}}' for n in sorted(allowed))}")
    if any(c in template for c in _NOT_IN_LINKS):
        raise ConfigError(f"{where} must not contain spaces, control characters or '\\'")
    if template.startswith("/") and not template.startswith("//"):
        if not public_url:
            raise ConfigError(f"{where} is a path: set USERCORE_PUBLIC_URL, which it is "
                              "relative to")
        return
    head = urlsplit(template.split("{", 1)[0])
    if head.scheme not in ("http", "https") or not head.netloc:
        raise ConfigError(f"{where} must be an http(s) URL or a path starting with '/'")
    if "{" in template and not (head.path or head.query or head.fragment):
        raise ConfigError(f"{where}: the host must be complete before the first placeholder")


def _typed(key: str, expected: Any, value: Any) -> Any:
    """``value`` when it has the field's type (a list of strings for a tuple field, a dict
    of strings for a mapping field)."""
    if get_origin(expected) is Mapping:
        if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ConfigError(f"{key} must be a dict of strings")
        return MappingProxyType(dict(value))
    if get_origin(expected) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings")
        return tuple(value)
    base = str if expected == SameSite else expected
    if (base is int and isinstance(value, bool)) or not isinstance(value, base):
        raise ConfigError(f"{key} must be of type {getattr(base, '__name__', base)}")
    return value


def _flask_fallbacks(value: Any) -> tuple[str, ...]:
    """Flask's ``SECRET_KEY_FALLBACKS``, converted as ``SECRET_KEY`` is (``str()``)."""
    if not value:
        return ()
    if not isinstance(value, list | tuple):
        raise ConfigError("SECRET_KEY_FALLBACKS must be a list of keys")
    return tuple(str(key) for key in value)


def password_policies(app: Flask, config: UserCoreConfig) -> PolicyRegistry:
    """The password policies of ``app`` (:func:`~flask_usercore.register_policy`), checked
    at start-up: ConfigError unless ``USERCORE_PASSWORD_POLICY`` names one of them."""
    policies = policy_registry(app)
    if config.password_policy not in policies:
        raise ConfigError(
            f"USERCORE_PASSWORD_POLICY must be one of {policies.names()}: register "
            f"{config.password_policy!r} with flask_usercore.register_policy(name, policy, "
            "app=app) before init_app")
    return policies


def load_config(app_config: Mapping[str, Any]) -> UserCoreConfig:
    """Build the config from a Flask ``app.config``; unknown ``USERCORE_*`` keys are an error."""
    hints = get_type_hints(UserCoreConfig)
    known = {f.name for f in dataclasses.fields(UserCoreConfig)}
    values: dict[str, Any] = {}
    for key, value in app_config.items():
        if not key.startswith("USERCORE_"):
            continue
        name = key.removeprefix("USERCORE_").lower()
        if name not in known:
            raise ConfigError(f"unknown configuration key {key}")
        if name == "providers":
            try:
                values[name] = parse_providers(value)
            except ProviderConfigError as exc:
                raise ConfigError(str(exc)) from None
            continue
        values[name] = _typed(key, hints[name], value)
    if not values.get("secret_key"):
        values["secret_key"] = str(app_config.get("SECRET_KEY") or "")
        if "secret_key_fallbacks" not in values:  # Flask's key, so Flask's old keys
            values["secret_key_fallbacks"] = _flask_fallbacks(
                app_config.get("SECRET_KEY_FALLBACKS"))
    return UserCoreConfig(**values)
