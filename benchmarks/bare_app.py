"""The baseline of ``bench.py``: a bare Flask + Flask-SQLAlchemy app with no extension.

It does by hand what the benchmark compares flask-usercore against:

* ``GET /me``: take the token from ``x-access-token`` or ``Authorization: Bearer``, hash it
  with SHA-256, look it up in ``bench_credential`` (``token_hash`` unique) joined to the users
  table in ONE query, and ``jsonify`` a dict of the user's ~20 fields (401 when unknown).
* ``GET /profile`` (``pages.py``): the account pages' profile page by hand: the token of
  the ``x-access-token`` cookie looked up as in ``/me`` (a 303 to ``/sign-in`` when
  unknown), the Jinja template ``templates/profile.html`` (the same markup as the library's
  page, its navigation's ten ``url_for`` links too, English only) with the user's names and
  a Flask-WTF CSRF token, and the same security headers. The other pages the navigation
  links to (``NAV``) answer a redirect to the profile: only their URLs are built.
* ``GET /profile-wtf``: the same page with a Flask-WTF form (the profile's three fields)
  whose fields WTForms renders, as a Flask app writing its own form page would.
* ``POST /login``: find the user by its lowercased address through the table's unique index
  (``email_key``: an app indexes its login lookup), one argon2id verify with the same
  parameters as flask-usercore's defaults, store a new token's SHA-256 in ``bench_credential``
  and answer ``{"token": ...}``.

It reads the users flask-usercore created (table ``usercore_users``, same database: the
``DATABASE_URL`` environment variable) so that both apps serve the same rows. Its own table
``bench_credential`` is created on start when missing. Serve it with
``gunicorn --chdir benchmarks 'bare_app:create_app()'``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, jsonify, make_response, redirect, render_template, request
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import DateTime, ForeignKey, String, Uuid, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms import StringField
from wtforms.validators import DataRequired, Length

db = SQLAlchemy()
#: flask-usercore's default argon2id parameters (USERCORE_ARGON2_*).
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


#: The headers of flask-usercore's pages (flask_usercore/pages/framework.py).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


#: The account pages the profile page's navigation links to, as the library's layout does
#: (``usercore/pages/_base.html``): endpoint and rule.
NAV = (("nav_home", "/account/"), ("nav_password", "/account/password"),
       ("nav_email", "/account/email"), ("nav_mfa", "/account/mfa"),
       ("nav_passkeys", "/account/passkeys"), ("nav_sessions", "/account/sessions"),
       ("nav_api_tokens", "/account/api-tokens"), ("nav_ssh_keys", "/account/ssh-keys"),
       ("nav_apps", "/account/apps"))


class ProfileForm(FlaskForm):  # type: ignore[misc]
    """The fields of flask-usercore's profile form, as a Flask app would declare them."""

    firstName = StringField("First name", validators=[DataRequired(), Length(max=120)],
                            render_kw={"autocomplete": "given-name"})
    lastName = StringField("Last name", validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "family-name"})
    nickname = StringField("Nickname", validators=[Length(max=64)],
                           render_kw={"autocomplete": "nickname"})


class BareUser(db.Model):  # type: ignore[name-defined,misc]
    """The columns of flask-usercore's ``usercore_users`` that the reply shows."""

    __tablename__ = "usercore_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(8))
    nickname: Mapped[str | None] = mapped_column(String(60))
    display_name: Mapped[str | None] = mapped_column(String(120))
    company: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    web_url: Mapped[str | None] = mapped_column(String(2048))
    picture_url: Mapped[str | None] = mapped_column(String(2048))
    account_type: Mapped[str] = mapped_column(String(16))
    phone_number: Mapped[str | None] = mapped_column(String(32))
    avatar_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    password_updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BareCredential(db.Model):  # type: ignore[name-defined,misc]
    """One bearer token, stored as its SHA-256, looked up through a unique index."""

    __tablename__ = "bench_credential"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("usercore_users.id"))
    user: Mapped[BareUser] = relationship(lazy="joined", innerjoin=True)


class BareSession(db.Model):  # type: ignore[name-defined,misc]
    """The columns of flask-usercore's ``usercore_credentials`` that a session list shows."""

    __tablename__ = "usercore_credentials"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(24))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


def session_json(row: BareSession) -> dict[str, Any]:
    """One ``UserSession`` by hand: the User-Agent parsed with ua-parser, as the library does."""
    from ua_parser import parse

    found = parse(row.user_agent or "")
    device = {"browser": found.user_agent.family if found.user_agent else None,
              "os": found.os.family if found.os else None}
    body = {"tokenId": str(row.id), "created": _time(row.created_at),
            "lastAccess": _time(row.last_used_at),
            "device": {k: v for k, v in device.items() if v},
            "location": {"ipAddress": row.ip_address} if row.ip_address else None}
    return {k: v for k, v in body.items() if v is not None}


def sha256(token: str) -> str:
    """The hex SHA-256 of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _time(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: BareUser) -> dict[str, Any]:
    """The same fields as flask-usercore's user resource, built by hand."""
    person = {"firstName": user.first_name, "lastName": user.last_name, "title": user.title}
    body = {
        "userId": str(user.id), "id": str(user.id),
        "person": {k: v for k, v in person.items() if v is not None},
        "email": user.email, "emailVerified": user.email_verified_at is not None,
        "registeredAt": _time(user.created_at), "createdAt": _time(user.created_at),
        "passwordUpdatedAt": _time(user.password_updated_at),
        "phoneNumber": user.phone_number,
        "avatarRef": str(user.avatar_ref) if user.avatar_ref else None,
        "isEmployee": False, "customerMemberships": {}, "projectMemberships": {},
        "accountType": user.account_type, "nickname": user.nickname,
        "displayName": user.display_name, "firstname": user.first_name,
        "lastname": user.last_name, "company": user.company, "location": user.location,
        "countryCode": user.country_code, "webUrl": user.web_url,
        "pictureUrl": user.picture_url,
    }
    return {k: v for k, v in body.items() if v is not None}


def presented_token() -> str:
    """The token of ``x-access-token`` or ``Authorization: Bearer``, or ``""``."""
    token = request.headers.get("x-access-token", "")
    if not token:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = value if scheme.lower() == "bearer" else ""
    return token.strip()


def create_app() -> Flask:
    """The application factory (``DATABASE_URL`` names the database; ``SECRET_KEY`` is set)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    # Like any real app (and the example app): with a SECRET_KEY, Flask opens the signed
    # session cookie on every request, a cost both apps then pay.
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    db.init_app(app)
    with app.app_context():
        BareCredential.__table__.create(db.engine, checkfirst=True)

    @app.get("/me")
    def me() -> Any:
        token = presented_token()
        credential = db.session.scalars(
            select(BareCredential).where(BareCredential.token_hash == sha256(token))).first()
        if not token or credential is None:
            return jsonify(type="Unauthorized", message="invalid token", code=401), 401
        return jsonify(user_json(credential.user))

    @app.get("/sessions")
    def sessions() -> Any:
        """The caller's sessions, newest first, ``?limit=`` (100) and ``?skip=``, with the
        count in ``X-Pagination-TotalCount``: what ``GET /v2/users/self/sessions`` does."""
        token = presented_token()
        credential = db.session.scalars(
            select(BareCredential).where(BareCredential.token_hash == sha256(token))).first()
        if not token or credential is None:
            return jsonify(type="Unauthorized", message="invalid token", code=401), 401
        limit = int(request.args.get("limit", 100))
        skip = int(request.args.get("skip", 0))
        mine = (BareSession.user_id == credential.user_id, BareSession.kind == "session")
        total = db.session.scalar(select(func.count()).select_from(BareSession).where(*mine))
        rows = db.session.scalars(select(BareSession).where(*mine)
                                  .order_by(BareSession.created_at.desc(), BareSession.id)
                                  .offset(skip).limit(limit)).all()
        response = jsonify([session_json(row) for row in rows])
        response.headers["X-Pagination-TotalCount"] = str(total)
        return response

    @app.get("/profile")
    def profile() -> Any:
        """The profile form of the cookie's user, rendered by Jinja (``pages.py``)."""
        token = request.cookies.get("x-access-token", "").strip()
        credential = db.session.scalars(
            select(BareCredential).where(BareCredential.token_hash == sha256(token))).first()
        if not token or credential is None:
            return redirect("/sign-in?next=/profile", 303)
        user = credential.user
        fields = [("firstName", "First name", "given-name", 120, True, user.first_name),
                  ("lastName", "Last name", "family-name", 120, True, user.last_name),
                  ("nickname", "Nickname", "nickname", 64, False, user.nickname)]
        response = make_response(render_template("profile.html", product="example_app",
                                                 fields=fields, csrf_token=generate_csrf))
        response.headers.update(PAGE_HEADERS)
        return response

    @app.get("/profile-wtf")
    def profile_wtf() -> Any:
        """The same page with a Flask-WTF form rendering the fields (``pages.py``)."""
        token = request.cookies.get("x-access-token", "").strip()
        credential = db.session.scalars(
            select(BareCredential).where(BareCredential.token_hash == sha256(token))).first()
        if not token or credential is None:
            return redirect("/sign-in?next=/profile-wtf", 303)
        user = credential.user
        form = ProfileForm(data={"firstName": user.first_name, "lastName": user.last_name,
                                 "nickname": user.nickname or ""})
        response = make_response(render_template("profile-wtf.html", product="example_app",
                                                 form=form))
        response.headers.update(PAGE_HEADERS)
        return response

    for endpoint, rule in NAV:  # the navigation's other pages: only their URLs are built
        app.add_url_rule(rule, endpoint, lambda: redirect("/profile", 303))

    @app.post("/login")
    def login() -> Any:
        data = request.get_json(silent=True) or {}
        email, password = str(data.get("email", "")), str(data.get("password", ""))
        user = db.session.scalars(
            select(BareUser).where(BareUser.email_key == email.strip().lower())).first()
        try:
            ok = user is not None and hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if user is None or not ok:
            return jsonify(type="ValidationError", code=401), 401
        token = secrets.token_urlsafe(32)
        db.session.add(BareCredential(token_hash=sha256(token), user_id=user.id))
        db.session.commit()
        return jsonify(token=token)

    return app
