"""The Flask extension: ``UserCore(app=None, *, db, ...)`` and ``init_app``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Blueprint, Flask, Request

from . import auth, i18n
from .cli import usercore_cli
from .config import ConfigError, UserCoreConfig, load_config, password_policies
from .hooks import (
    AvatarStorage,
    DeliveryQueue,
    FileOutboxMailer,
    FileOutboxSmsSender,
    LocalAvatarStorage,
    LocationLookup,
    LoggingMailer,
    LoggingSmsSender,
    Mailer,
    NobodyVisible,
    NoLocation,
    SmsSender,
    Visibility,
)
from .mail import MailLinks, MailRenderer
from .migrations import hide_from_flask_migrate
from .models import User
from .models.base import Base
from .models.sqlite import create_private, enforce_foreign_keys
from .oauth2 import views as oauth2_views
from .openapi import openapi_view
from .runtime import request_log
from .runtime.last_access import LastAccess
from .runtime.last_access_redis import from_storage as last_use_in
from .runtime.lockout import Lockout
from .runtime.ratelimit import RateLimiter
from .runtime.unit_of_work import UnitOfWork
from .security.crypto import SecretBox
from .security.passwords import PasswordHasher
from .services.access import USER_KINDS
from .services.context import Auth, Deps
from .state import EXTENSION_KEY, UserCoreState, usercore_state
from .views import (
    admin,
    api_tokens,
    authentication,
    avatar,
    email_change,
    feedback,
    files,
    identities,
    mfa,
    passkeys,
    passwords,
    phone,
    poll_settings,
    registration,
    retrieval_keys,
    sessions,
    settings,
    ssh_keys,
    support_code,
    users,
)
from .web.handlers import guard_prefix, register_error_handlers
from .web.operation import CapabilityBlueprint

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

F = TypeVar("F", bound=Callable[..., Any])

#: The capability blueprints, in registration order.
CAPABILITIES: tuple[CapabilityBlueprint, ...] = (
    authentication.bp,
    registration.bp,
    users.bp,
    sessions.bp,
    api_tokens.bp,
    retrieval_keys.bp,
    mfa.bp,
    passwords.bp,
    email_change.bp,
    support_code.bp,
    ssh_keys.bp,
    settings.bp,
    poll_settings.bp,
    feedback.bp,
    phone.bp,
    avatar.bp,
    files.bp,
    oauth2_views.bp,
    admin.bp,
    identities.bp,
    passkeys.bp,
)


class UserCore:
    """User management for a Flask app.

    ``UserCore(app, db=db)`` or ``core = UserCore(db=db)`` then ``core.init_app(app)``.
    ``db`` is the host's Flask-SQLAlchemy object: our models live on their own metadata and
    are used through ``db.session``. The hooks default to logging (or the mail outbox).
    ``delivery_queue``: a job queue the committed mails and SMS are handed to (e.g.
    :class:`flask_usercore.rq_delivery.RqDeliveryQueue`) instead of being sent in the
    request's process.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy,
                 mailer: Mailer | None = None, sms_sender: SmsSender | None = None,
                 visibility: Visibility | None = None, location: LocationLookup | None = None,
                 avatar_storage: AvatarStorage | None = None,
                 delivery_queue: DeliveryQueue | None = None, pages: bool = False) -> None:
        self.db = db
        #: Mount the account pages (docs/pages.md) whatever ``USERCORE_PAGES`` says.
        self.pages = pages
        self.delivery_queue = delivery_queue
        self.mailer = mailer
        self.sms_sender = sms_sender
        self.visibility = visibility
        self.location = location
        self.avatar_storage = avatar_storage
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and validate the ``USERCORE_*`` config, then register blueprint and CLI.

        Raises ``RuntimeError`` when the extension is initialised on ``app`` already (a
        second set of routes, limiters and listeners would be silently half-used).
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("flask-usercore is initialised on this app already: call "
                               "UserCore(app, db=db) or init_app(app) once per app")
        config = load_config(app.config)
        mailer = self.mailer or (FileOutboxMailer(config.outbox_path, config.mail_sender)
                                 if config.outbox_path else LoggingMailer())
        limiter = RateLimiter(config.ratelimit_storage_uri, config.ratelimit_auth,
                              fail_open=config.ratelimit_fail_open,
                              timeout_ms=config.redis_timeout_ms,
                              retry_seconds=config.redis_retry_seconds)
        deps = Deps(
            session=self.db.session, uow=UnitOfWork(self.db.session), config=config,
            policies=password_policies(app, config),
            hasher=PasswordHasher(time_cost=config.argon2_time_cost,
                                  memory_cost=config.argon2_memory_cost,
                                  parallelism=config.argon2_parallelism),
            box=SecretBox(config.secret_key, config.secret_key_fallbacks), mailer=mailer,
            sms=self.sms_sender or (FileOutboxSmsSender(config.sms_outbox)
                                    if config.sms_outbox else LoggingSmsSender()),
            avatars=self.avatar_storage or LocalAvatarStorage(
                config.avatar_folder or Path(app.instance_path) / "usercore-avatars"),
            visibility=self.visibility or NobodyVisible(),
            mails=MailRenderer(app.jinja_env, links=MailLinks.from_config(config),
                               product=config.mfa_issuer),
            lockout=Lockout(limiter.storage, config), sender=app,
            location=self.location or NoLocation(), delivery_queue=self.delivery_queue,
            last_access=LastAccess(config.last_access_flush_seconds,
                                   shared=last_use_in(limiter.storage)))
        app.extensions[EXTENSION_KEY] = UserCoreState(self, config, deps, limiter)
        i18n.install(app, config.languages)
        enforce_foreign_keys(app, self.db, on=config.sqlite_foreign_keys)
        create_private(app, self.db)
        _bind_unit_of_work(app, self.db, deps.uow)
        if config.register_blueprint:
            app.register_blueprint(self.create_blueprint(), url_prefix=config.url_prefix)
        if self.pages or config.pages:
            _mount_pages(app, config)
        app.cli.add_command(usercore_cli)
        # the host's `flask db migrate` must not see our tables (it would drop them)
        hide_from_flask_migrate(app)

    def create_blueprint(self, name: str = "usercore") -> Blueprint:
        """A blueprint with every operation, the JSON error handler and ``/openapi.json``.

        Register it yourself with ``app.register_blueprint(bp, url_prefix="/v2")`` when
        ``USERCORE_REGISTER_BLUEPRINT`` is False.
        """
        # our templates (mails, OAuth2 pages) come after the host's: a host overrides one by
        # a template of the same name in its own templates folder
        bp = Blueprint(name, __name__, template_folder="templates")
        for child in CAPABILITIES:
            bp.register_blueprint(child)
        bp.add_url_rule("/openapi.json", "openapi", openapi_view, methods=["GET"])
        # before the guard: its refusals are logged too
        bp.record(lambda setup: request_log.install(setup,
                                                    usercore_state(cast(Flask, setup.app)).config))
        bp.record(guard_prefix(auth.max_body_bytes))
        # the mails name the API where this blueprint is mounted
        bp.record(lambda setup: usercore_state(cast(Flask, setup.app)).deps.mails.links.mount(
            setup.url_prefix or ""))
        register_error_handlers(bp, rollback=lambda: usercore_state().deps.uow.rollback())
        return bp

    @property
    def current_auth(self) -> Auth | None:
        """The caller of the current request (kind, scopes, credential), or None when no
        protected view or operation authenticated it."""
        return auth.request_auth()

    @property
    def current_user(self) -> User | None:
        """The authenticated user of the current request, or None."""
        found = auth.request_auth()
        return found.user if found is not None else None

    def auth_required(self, view: F | None = None, /, *, kinds: Collection[str] = USER_KINDS,
                      scopes: Collection[str] = (), roles: Collection[str] = (),
                      permissions: Collection[str] = (), fresh: bool | int = False) -> Any:
        """Protect a view of the host app with our tokens (:func:`flask_usercore.auth_required`).

        ``@usercore.auth_required`` or ``@usercore.auth_required(kinds=..., scopes=...,
        roles=..., permissions=...)`` (the user must hold every one listed); ``fresh=True``
        (or seconds): a recent login or the password (docs/security.md).
        """
        decorator = auth.auth_required(kinds=kinds, scopes=scopes, roles=roles,
                                       permissions=permissions, fresh=fresh)
        return decorator(view) if view is not None else decorator

    def init_login_manager(self, login_manager: Any, *, kinds: Collection[str] = USER_KINDS,
                           api_request: Callable[[Request], bool] = auth.is_api_request
                           ) -> None:
        """Make Flask-Login's ``current_user`` resolve our tokens (and cookie), and answer a
        missing login with our JSON 401 for API requests and the host's choice for pages.

        See :func:`flask_usercore.auth.init_login_manager`.
        """
        auth.init_login_manager(login_manager, kinds=kinds, api_request=api_request)

    def create_retrieval_key(self, user_id: uuid.UUID, *, commit: bool = True) -> str:
        """A new access-token retrieval key for ``user_id`` (in an app context).

        Hand it with the user's id to your own service, which exchanges it once for a session
        (``POST /v2/authenticate-token-retrieval-key``) within ``USERCORE_RETRIEVAL_KEY_TTL``
        seconds. The key is stored in ``db.session``, which is committed unless ``commit`` is
        False (then commit it yourself). Raises :class:`~flask_usercore.errors.NotFound` for
        an unknown user.
        """
        from .services.retrieval_keys import create_retrieval_key

        deps = usercore_state().deps
        key = create_retrieval_key(deps, user_id)
        if commit:
            deps.uow.commit()
        return key


def _mount_pages(app: Flask, config: UserCoreConfig) -> None:
    """Register the account pages at ``USERCORE_PAGES_PREFIX``; their forms' CSRF tokens
    live in Flask's session, which needs ``SECRET_KEY``."""
    if not app.secret_key:
        raise ConfigError("the account pages (USERCORE_PAGES) need Flask's SECRET_KEY: their "
                          "forms' CSRF tokens live in Flask's session")
    from .pages import create_pages_blueprint

    app.register_blueprint(create_pages_blueprint(), url_prefix=config.pages_prefix)


def _bind_unit_of_work(app: Flask, db: SQLAlchemy, uow: UnitOfWork) -> None:
    """Choose the unit of work's database strategy from the engine of the library's models,
    now; when ``db.init_app(app)`` has not run yet, at its first use."""
    with app.app_context():
        try:
            engine = db.engines.get(Base.metadata.info.get("bind_key"))
        except RuntimeError:  # this SQLAlchemy object does not know the app yet
            engine = None
    if engine is not None:
        uow.bind(engine)
