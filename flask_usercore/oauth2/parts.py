"""The OAuth2 parts of one app, built once: where the blueprint was mounted, the token
endpoints' limiter, the Authlib server and the JWT signing key.

They live beside the extension's state (``app.extensions["usercore.oauth2"]``), owned by
this package, so that the core state knows nothing of OAuth2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from flask import Flask, current_app

from ..runtime.ratelimit import RateLimiter

if TYPE_CHECKING:
    from authlib.integrations.flask_oauth2 import AuthorizationServer

    from ..security.signing_keys import SigningKey

EXTENSION_KEY = "usercore.oauth2"


@dataclass(slots=True)
class OAuth2Parts:
    """Built when the blueprint is registered, or by the first OAuth2 request."""

    #: The URL prefix the OAuth2 blueprint was registered under.
    prefix: str | None = None
    #: The limiter of the token endpoints (``USERCORE_OAUTH2_RATELIMIT``).
    limiter: RateLimiter | None = None
    #: The Authlib authorization server (``server.UserCoreAuthorizationServer``), built by
    #: the first OAuth2 request.
    server: AuthorizationServer | None = None
    #: The JWT signing key (``USERCORE_OAUTH2_JWT_KEY``), loaded with the server.
    signing_key: SigningKey | None = None


def oauth2_parts(app: Flask | None = None) -> OAuth2Parts:
    """The OAuth2 parts of ``app`` (default: the current app), made on first use."""
    target = app if app is not None else current_app
    return cast(OAuth2Parts, target.extensions.setdefault(EXTENSION_KEY, OAuth2Parts()))
