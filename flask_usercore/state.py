"""What ``app.extensions["usercore"]`` holds, and the typed accessor to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app

from .config import UserCoreConfig
from .runtime.ratelimit import RateLimiter
from .services.context import Deps

if TYPE_CHECKING:
    from .extension import UserCore
    from .oauth2.keys import SigningKey
    from .oauth2.server import UserCoreAuthorizationServer

EXTENSION_KEY = "usercore"


@dataclass(slots=True)
class Built:
    """Per-app parts built once, when first needed or when the blueprint is registered."""

    #: Our OpenAPI document (``/openapi.json``), built by its first request.
    openapi: dict[str, Any] | None = None
    #: The URL prefix the OAuth2 blueprint was registered under.
    oauth2_prefix: str | None = None
    #: The limiter of the OAuth2 token endpoints (``USERCORE_OAUTH2_RATELIMIT``).
    oauth2_limiter: RateLimiter | None = None
    #: The Authlib authorization server, built by the first OAuth2 request.
    oauth2_server: UserCoreAuthorizationServer | None = None
    #: The JWT signing key (``USERCORE_OAUTH2_JWT_KEY``), loaded with the server.
    oauth2_signing_key: SigningKey | None = None


@dataclass(frozen=True, slots=True)
class UserCoreState:
    """One app's extension state: the extension object, its config, services' deps, limiter."""

    core: UserCore
    config: UserCoreConfig
    deps: Deps
    limiter: RateLimiter
    #: Per-app parts built once on first use (the OpenAPI document, the OAuth2 server).
    built: Built = field(default_factory=Built)


def usercore_state(app: Flask | None = None) -> UserCoreState:
    """The extension state of ``app`` (default: the current app).

    Raises ``RuntimeError`` when ``UserCore.init_app`` was not called for that app.
    """
    target = app if app is not None else current_app
    try:
        return cast(UserCoreState, target.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError("flask-usercore is not initialised on this app: "
                           "call UserCore(app, db=db) or init_app(app)") from None
