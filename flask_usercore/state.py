"""What ``app.extensions["usercore"]`` holds, and the typed accessor to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from flask import Flask, current_app

from .config import UserCoreConfig
from .runtime.ratelimit import RateLimiter
from .services.context import Deps

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

EXTENSION_KEY = "usercore"


@dataclass(slots=True)
class Built:
    """Per-app parts built once, when first needed or when the blueprint is registered."""

    #: Our OpenAPI document (``/openapi.json``), built by its first request. (The OAuth2
    #: parts are the OAuth2 package's: ``oauth2/parts.py``.)
    openapi: dict[str, Any] | None = None


class Core(Protocol):
    """The extension object (:class:`~flask_usercore.extension.UserCore`), as the state
    sees it."""

    db: SQLAlchemy


@dataclass(frozen=True, slots=True)
class UserCoreState:
    """One app's extension state: the extension object, its config, services' deps, limiter."""

    core: Core
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
