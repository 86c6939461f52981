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

EXTENSION_KEY = "usercore"


@dataclass(frozen=True, slots=True)
class UserCoreState:
    """One app's extension state: the extension object, its config, services' deps, limiter."""

    core: UserCore
    config: UserCoreConfig
    deps: Deps
    limiter: RateLimiter
    #: Per-app values built once on first use (the OpenAPI document).
    cache: dict[str, Any] = field(default_factory=dict)


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
