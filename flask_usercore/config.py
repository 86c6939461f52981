"""``USERCORE_*`` configuration, read once into a typed, frozen, validated object.

Every key is documented in ``docs/configuration.md``. :func:`load_config` is called by
:meth:`flask_usercore.UserCore.init_app`; a wrong type or value raises :class:`ConfigError`
at start-up instead of failing later in a request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from limits import parse_many

from .security.policy import POLICIES

SameSite = Literal["Lax", "Strict", "None"]


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
    #: Refuse login until the registration e-mail is verified.
    require_verified_email: bool = True
    #: argon2id parameters (OWASP: m=19 MiB, t=2, p=1).
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19 * 1024
    argon2_parallelism: int = 1
    #: Name of the password policy enforced on every password write.
    password_policy: str = "mittwald"  # noqa: S105 (a policy name)
    #: Issuer shown in authenticator apps.
    mfa_issuer: str = "flask-usercore"
    #: Write every mail as an ``.eml`` file into this folder (else mail is logged).
    mail_outbox: str = ""
    #: ``From`` address of the mails the extension sends.
    mail_sender: str = "no-reply@localhost"
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
                     "argon2_parallelism", "lockout_seconds", "lockout_window"):
            if getattr(self, name) < 1:
                raise ConfigError(f"USERCORE_{name.upper()} must be a positive integer")
        if self.lockout_threshold < 0:
            raise ConfigError("USERCORE_LOCKOUT_THRESHOLD must be 0 (off) or a positive integer")
        if self.lockout_max_seconds < self.lockout_seconds:
            raise ConfigError("USERCORE_LOCKOUT_MAX_SECONDS must be at least "
                              "USERCORE_LOCKOUT_SECONDS")
        if self.password_policy not in POLICIES:
            raise ConfigError(f"USERCORE_PASSWORD_POLICY must be one of {sorted(POLICIES)}")
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

    @property
    def outbox_path(self) -> Path | None:
        """The mail outbox folder, or None when mail is only logged."""
        return Path(self.mail_outbox) if self.mail_outbox else None

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The current secret key, then the fallbacks: the keys that read what was made."""
        return (self.secret_key, *self.secret_key_fallbacks)


def _typed(key: str, expected: Any, value: Any) -> Any:
    """``value`` when it has the field's type (a list of strings for a tuple field)."""
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
        values[name] = _typed(key, hints[name], value)
    if not values.get("secret_key"):
        values["secret_key"] = str(app_config.get("SECRET_KEY") or "")
        if "secret_key_fallbacks" not in values:  # Flask's key, so Flask's old keys
            values["secret_key_fallbacks"] = _flask_fallbacks(
                app_config.get("SECRET_KEY_FALLBACKS"))
    return UserCoreConfig(**values)
