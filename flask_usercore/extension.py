"""The Flask extension: ``UserCore(app=None, *, db, ...)`` and ``init_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, request
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException

from .cli import usercore_cli
from .config import UserCoreConfig, load_config
from .errors import error_response, from_http, register_error_handlers
from .hooks import (
    FileOutboxMailer,
    LoggingMailer,
    LoggingSmsSender,
    Mailer,
    NobodyVisible,
    SmsSender,
    Visibility,
)
from .openapi import openapi_view
from .ratelimit import RateLimiter
from .security.crypto import SecretBox
from .security.passwords import PasswordHasher
from .services.context import Deps
from .views import authentication, registration, users
from .views.routing import CapabilityBlueprint

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

#: The capability blueprints, in registration order.
CAPABILITIES: tuple[CapabilityBlueprint, ...] = (
    authentication.bp,
    registration.bp,
    users.bp,
)


@dataclass(frozen=True, slots=True)
class UserCoreState:
    """What ``app.extensions["usercore"]`` holds for one app."""

    core: UserCore
    config: UserCoreConfig
    deps: Deps
    limiter: RateLimiter


class UserCore:
    """User management for a Flask app.

    ``UserCore(app, db=db)`` or ``core = UserCore(db=db)`` then ``core.init_app(app)``.
    ``db`` is the host's Flask-SQLAlchemy object: our models live on their own metadata and
    are used through ``db.session``. The hooks default to logging (or the mail outbox).
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy,
                 mailer: Mailer | None = None, sms_sender: SmsSender | None = None,
                 visibility: Visibility | None = None) -> None:
        self.db = db
        self.mailer = mailer
        self.sms_sender = sms_sender
        self.visibility = visibility
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and validate the ``USERCORE_*`` config, then register blueprint and CLI."""
        config = load_config(app.config)
        mailer = self.mailer or (FileOutboxMailer(config.outbox_path, config.mail_sender)
                                 if config.outbox_path else LoggingMailer())
        deps = Deps(
            session=self.db.session, config=config,
            hasher=PasswordHasher(time_cost=config.argon2_time_cost,
                                  memory_cost=config.argon2_memory_cost,
                                  parallelism=config.argon2_parallelism),
            box=SecretBox(config.secret_key), mailer=mailer,
            sms=self.sms_sender or LoggingSmsSender(),
            visibility=self.visibility or NobodyVisible(), sender=app)
        limiter = RateLimiter(config.ratelimit_storage_uri, config.ratelimit_auth)
        app.extensions["usercore"] = UserCoreState(self, config, deps, limiter)
        if config.register_blueprint:
            app.register_blueprint(self.create_blueprint(), url_prefix=config.url_prefix)
        app.cli.add_command(usercore_cli)

    def create_blueprint(self, name: str = "usercore") -> Blueprint:
        """A blueprint with every operation, the JSON error handler and ``/openapi.json``.

        Register it yourself with ``app.register_blueprint(bp, url_prefix="/v2")`` when
        ``USERCORE_REGISTER_BLUEPRINT`` is False.
        """
        bp = Blueprint(name, __name__)
        for child in CAPABILITIES:
            bp.register_blueprint(child)
        bp.add_url_rule("/openapi.json", "openapi", openapi_view, methods=["GET"])
        bp.record(_json_routing_errors)
        register_error_handlers(bp, rollback=self.db.session.rollback)
        return bp


def _json_routing_errors(state: BlueprintSetupState) -> None:
    """Answer routing errors (404, 405) under our prefix with the JSON body.

    Routing fails before any blueprint is chosen, so a blueprint error handler never sees
    these; a ``before_request`` hook limited to our prefix does, and leaves the host's own
    404 and 405 handling alone.
    """
    prefix = state.url_prefix or ""

    def hook() -> Response | None:
        exc = request.routing_exception
        ours = request.path == prefix or request.path.startswith(prefix + "/")
        if ours and isinstance(exc, HTTPException) and (exc.code or 500) >= 400:
            return error_response(from_http(exc))
        return None

    state.app.before_request(hook)
