"""A small host app showing how flask-usercore is meant to be used.

Run it with ``flask --app example_app run`` (SQLite file ``instance/example.db`` by default,
PostgreSQL with ``DATABASE_URL=postgresql+psycopg://...``). Mails land as ``.eml`` files in
``outbox/`` and SMS as ``.txt`` files in ``outbox/sms/`` so that a person can read their
verification codes; avatars are stored in ``instance/usercore-avatars/``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from flask_usercore import UserCore, current_user
from flask_usercore.hooks import recipient_ref
from flask_usercore.signals import user_registered

db = SQLAlchemy()
usercore = UserCore(db=db)
log = logging.getLogger("example_app")


def _sqlite_wal(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite as a server database: WAL (readers never block the writer) and no fsync per
    commit (a crash loses at most the last transactions, never consistency)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL",
                                  f"sqlite:///{Path(app.instance_path) / 'example.db'}")
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "example-app-secret-change-me!"),
        SQLALCHEMY_DATABASE_URI=database_url,
        USERCORE_MAIL_OUTBOX=os.environ.get("USERCORE_MAIL_OUTBOX", "outbox"),
        USERCORE_SMS_OUTBOX=os.environ.get("USERCORE_SMS_OUTBOX", "outbox/sms"),
        USERCORE_MFA_ISSUER="example_app",
        # the account pages at /account/ (docs/pages.md): sign in, profile, ...
        USERCORE_PAGES=True,
        # passkeys on the page /passkeys of `flask run` (docs/passkeys.md)
        USERCORE_WEBAUTHN_RP_ID="localhost",
        USERCORE_WEBAUTHN_ORIGINS=["http://localhost:5000"],
    )
    if not database_url.startswith("sqlite"):
        # a connection the server dropped (a restart) is replaced before a request gets it
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    # Any key from the environment: EXAMPLE_USERCORE_RATELIMIT_AUTH='""' sets
    # USERCORE_RATELIMIT_AUTH to "" (values are parsed as JSON when they can be).
    app.config.from_prefixed_env("EXAMPLE")
    app.config.update(config or {})
    db.init_app(app)
    usercore.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_wal)

    @user_registered.connect_via(app)
    def greet(sender: Flask, user: Any, **extra: Any) -> None:
        # never an address in the log: its recipient_ref finds the user's mails there
        log.warning("new user %s registered (mail to %s); their code is in %s", user.id,
                    recipient_ref(user.email), app.config["USERCORE_MAIL_OUTBOX"])

    @app.get("/")
    def index() -> Any:
        """What the app serves: a page of links for a browser, JSON for anyone else."""
        links = {"api": "/v2", "openapi": "/v2/openapi.json", "account": "/account/"}
        accepted = request.accept_mimetypes
        if accepted.best_match(["application/json", "text/html"]) == "text/html":
            return render_template("index.html", **links)
        return jsonify(service="example_app", **links)

    @app.get("/passkeys")
    def passkeys() -> str:
        """A page that registers a passkey and signs in with it (docs/passkeys.md)."""
        return render_template("passkeys.html", api=app.config.get("USERCORE_URL_PREFIX", "/v2"))

    @app.get("/me")
    @usercore.auth_required
    def me() -> Any:
        """A host route protected with the extension's tokens."""
        return jsonify(userId=str(current_user.id), email=current_user.email,
                       kind=usercore.current_auth.kind if usercore.current_auth else None)

    with app.app_context():
        from flask_usercore.migrations import upgrade

        # once per deployment is the rule (docs/deployment.md); here every worker calls it,
        # which is safe: upgrade() migrates under a lock, the others find nothing left to do
        upgrade()
    return app
