"""The browser side of ``GET /v2/oauth2/authorize``: who the resource owner is, and the
login and consent pages (Jinja templates under ``usercore/oauth2/``) that end in the same
302 to the client as mittwald's ``grant_consent=true``.

The resource owner is the user of a session token: the ``x-access-token`` header,
``Authorization: Bearer``, or the ``x-access-token`` cookie. ``grant_consent=true`` is
honoured with a header token only (mittwald: "in combination with the Authorization
header"): a cookie is sent on any cross-site navigation, so a cookie alone gets the consent
page, whose form carries a CSRF token. The pages allow no script and cannot be framed.
They speak the request's language (docs/languages.md); the RFC 6749 error bodies
(``error_description``) stay English.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Response, current_app, jsonify, redirect, render_template, request
from itsdangerous import BadData, URLSafeTimedSerializer

from ..errors import RateLimited, ValidationFailed, WrongCredentials, translate_text
from ..i18n import gettext, lazy_gettext, template_context
from ..models import OAuth2Client
from ..models.oauth2 import loopback_without_port
from ..services import authentication
from ..services.access import SESSION_ONLY
from ..services.authentication import SecondFactorChallenge
from ..services.context import Auth
from ..services.reauth import authentication_time
from ..state import usercore_state
from ..web.authenticator import authenticate
from ..web.loading import client_info
from ..web.transport import presented_token, set_session_cookie, trusted_origin
from . import consents, hygiene
from .grants import AUTH_TIME
from .parts import oauth2_parts
from .server import authorization_server

CSRF_COOKIE = "usercore_oauth2_csrf"
_CSRF_MAX_AGE = 3600
#: What each scope lets the client do, as the consent page says it.
SCOPE_TEXT = {"profile": lazy_gettext("read and change your profile (name, nickname, picture, "
                                      "...) and change your password when you confirm it"),
              "openid": lazy_gettext("know who you are (your user id)"),
              "email": lazy_gettext("see your e-mail address"),
              "usercore.admin": lazy_gettext("administer the accounts as you may (the admin API)")}


def _owner() -> tuple[Auth | None, bool]:
    """The session of this request's user and whether the token came in a header.

    A header token that is unknown answers 401, a valid one of another kind 403 (an API
    client); a stale cookie means "not signed in" (a browser: the login page).
    """
    auth = authenticate(SESSION_ONLY, mode="page")  # only a login may consent
    if auth is None:
        return None, False
    presented = presented_token(usercore_state().config, cookie=True)
    return auth, presented is not None and not presented.from_cookie


def login_time(auth: Auth) -> dt.datetime:
    """When the user of the session ``auth`` last signed in: OpenID Connect's ``auth_time``,
    and what ``max_age`` is measured against. The one place that says it: the session's
    login or latest re-authentication (:func:`~flask_usercore.services.reauth.authentication_time`),
    else its creation (a session's row is created by the login and rotates in place)."""
    return authentication_time(auth.credential) or auth.credential.created_at


def _prompts() -> list[str]:
    return request.args.get("prompt", "").split()


def _login_needed(auth: Auth) -> bool:
    """Whether the request asks for a new login although ``auth`` is signed in (OpenID
    Connect Core 3.1.2.1): ``prompt=login``, or a login older than ``max_age`` seconds."""
    if "login" in _prompts():
        return True
    max_age = request.args.get("max_age")
    if max_age is None:
        return False
    age = usercore_state().deps.clock() - login_time(auth)
    return age > dt.timedelta(seconds=int(max_age))


def error_response(error: OAuth2Error) -> Response:
    """A redirect to the client with ``error`` (RFC 6749 4.1.2.1) once its redirect URI
    is verified; else 400 ``{"error": "invalid_request", ...}`` and never a redirect."""
    if error.redirect_uri:
        return authorization_server().handle_error_response(None, error)  # type: ignore[no-any-return]
    response = jsonify({"error": "invalid_request",
                        "error_description": hygiene.ascii_text(
                            error.get_error_description() or "")})
    response.status_code = 400
    return response


def refused() -> Response | None:
    """The answer to an authorization request (or its login or consent page) with a
    parameter that fails the input hygiene (``hygiene.py``), before Authlib sees it.

    A bad query parameter is ``invalid_request``, redirected to the client when its
    ``client_id`` and ``redirect_uri`` pass and the URI is the client's (RFC 6749 4.1.2.1),
    with ``state`` when it passes; else a 400. A bad field of the pages' forms is a 400.
    """
    bad = hygiene.query_problem()
    if bad is not None:
        args, refused_names = hygiene.query_args(), bad.names

        def usable(name: str) -> str | None:
            values = args.getlist(name)
            return values[0] if len(values) == 1 and name not in refused_names else None

        client_id = usable("client_id")
        redirect_uri = usable("redirect_uri")
        verified = None
        if client_id and (redirect_uri or "redirect_uri" not in args):
            verified = authorization_server().verified_redirect_uri(client_id, redirect_uri)
        return error_response(InvalidRequestError(bad.description, redirect_uri=verified,
                                                  state=usable("state")))
    bad = hygiene.form_problem() if request.method == "POST" else None
    if bad is not None:
        return error_response(InvalidRequestError(bad.description))
    return None


def _query(*, signed_in: bool = False) -> str:
    """The authorization request's parameters, to carry through login and consent; once
    ``signed_in`` by the login page, without what asked for that login (``prompt=login``,
    ``max_age``)."""
    keep = [(k, v) for k, v in request.args.items(multi=True)
            if k not in ("grant_consent", "csrf_token") and not (signed_in and k == "max_age")]
    if signed_in:
        keep = [(k, " ".join(p for p in v.split() if p != "login") if k == "prompt" else v)
                for k, v in keep]
        keep = [(k, v) for k, v in keep if k != "prompt" or v]
    return urlencode(keep)


def _to(path: str, *, signed_in: bool = False) -> str:
    prefix = oauth2_parts().prefix
    prefix = usercore_state().config.url_prefix if prefix is None else prefix
    return f"{prefix}/oauth2/{path}?{_query(signed_in=signed_in)}"


def _consent_grant(owner: Auth | None) -> Any:
    grant = authorization_server().get_consent_grant(
        end_user=owner.user if owner is not None else None)
    problem = None
    if request.args.get("grant_type") not in (None, "authorization_code"):
        problem = "grant_type must be authorization_code"
    elif "none" in _prompts() and len(_prompts()) > 1:
        problem = "prompt=none cannot be combined with other values"
    elif not re.fullmatch(r"[0-9]{1,9}", request.args.get("max_age", "0")):
        problem = "max_age must be a number of seconds"
    if problem is not None:
        raise InvalidRequestError(problem, redirect_uri=grant.redirect_uri,
                                  state=request.args.get("state"))
    return grant


def _grant(server: Any, owner: Auth | None, grant: Any) -> Response:
    """The 302 to the client: a code for ``owner`` (who signed in at :func:`login_time`),
    or ``access_denied`` without one."""
    if owner is not None:
        setattr(grant.request, AUTH_TIME, login_time(owner))
    return server.create_authorization_response(  # type: ignore[no-any-return]
        grant_user=owner.user if owner is not None else None, grant=grant)


def _grant_consent_flag(grant: Any) -> bool | None:
    value = request.args.get("grant_consent")
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidRequestError("grant_consent must be true or false",
                              redirect_uri=grant.redirect_uri, state=request.args.get("state"))


def authorize() -> Response:
    """``GET /v2/oauth2/authorize``: a 302 to the client (code or error), to the login
    page, or to the consent page; a 400 for an unknown client or redirect URI.

    OpenID Connect's ``prompt`` and ``max_age`` (Core 3.1.2.1) hold for every request:
    ``prompt=login`` or a login older than ``max_age`` goes to the login page even when
    signed in; ``prompt=none`` never shows a page but answers ``login_required`` or
    ``consent_required`` (3.1.2.6); ``prompt=consent`` asks again.
    """
    owner, from_header = _owner()
    server = authorization_server()
    try:
        grant = _consent_grant(owner)
        wanted = _grant_consent_flag(grant)
    except OAuth2Error as error:
        return error_response(error)
    if wanted is False:
        return _grant(server, None, grant)
    silent = "none" in _prompts()
    if owner is None or _login_needed(owner):
        if silent:
            return _interaction_required(LoginRequiredError, grant)
        return _go(_to("login"), 302)
    services = usercore_state().deps
    client_id, scope = grant.client.get_client_id(), grant.request.scope
    if wanted and from_header:
        consents.grant_consent(services, owner.user, client_id, scope)
    elif "consent" in _prompts() or not consents.has_consent(services, owner.user, client_id,
                                                             scope):
        if silent:
            return _interaction_required(ConsentRequiredError, grant)
        return _go(_to("consent"), 302)
    return _grant(server, owner, grant)


def _interaction_required(error: type[OAuth2Error], grant: Any) -> Response:
    """``prompt=none`` and a page would be needed: ``login_required`` or
    ``consent_required`` to the client (OpenID Connect Core 3.1.2.6)."""
    description = ("the user must sign in" if error is LoginRequiredError
                   else "the user must consent")
    return error_response(error(description, redirect_uri=grant.redirect_uri,
                                state=request.args.get("state")))


# -- the pages ----------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(usercore_state().config.secret_key, salt="usercore-oauth2-csrf")


def _csrf_pair() -> tuple[str, str | None]:
    """The form token for this browser's CSRF cookie, and a new cookie value if it has none."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    fresh = None
    if len(cookie) < 32:
        cookie = fresh = secrets.token_urlsafe(32)
    return str(_serializer().dumps(cookie)), fresh


def csrf_ok() -> bool:
    """The form's token belongs to this browser's cookie, and the form came from our origin
    (or a trusted one) when the browser says where it came from."""
    if not trusted_origin(usercore_state().config, allow_null=True):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    try:
        signed = _serializer().loads(request.form.get("csrf_token", ""), max_age=_CSRF_MAX_AGE)
    except BadData:
        return False
    return bool(cookie) and isinstance(signed, str) and hmac.compare_digest(signed, cookie)


def _go(location: str, status: int) -> Response:
    return cast(Response, redirect(location, status))


def _page(template: str, client: OAuth2Client, *, status: int = 200,
          **context: Any) -> Response:
    token, fresh = _csrf_pair()
    html = render_template(f"usercore/oauth2/{template}", **template_context(),
                           client=client, csrf_token=token,
                           action=request.full_path, product=usercore_state().config.mfa_issuer,
                           **context)
    response = current_app.response_class(html, status=status, mimetype="text/html")
    targets = " ".join(dict.fromkeys(_source(uri) for uri in client.redirect_uri_list))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; form-action 'self' {targets}; frame-ancestors 'none'; "
        "base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if fresh:
        response.set_cookie(CSRF_COOKIE, fresh, max_age=_CSRF_MAX_AGE, httponly=True,
                            secure=request.is_secure, samesite="Strict", path="/")
    return response


def _source(uri: str) -> str:
    """The CSP source of a redirect URI (the form's 302 goes there); any port of a loopback
    IP literal (``OAuth2Client.check_redirect_uri``)."""
    parts = urlsplit(uri)
    if loopback_without_port(uri) is not None:
        return f"http://{parts.netloc.rsplit(':', 1)[0] if parts.port else parts.netloc}:*"
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


def _forbidden_page() -> Response:
    response = jsonify({"error": "invalid_request",
                        "error_description": "the form expired or did not come from this site;"
                                             " reload the page"})
    response.status_code = 400
    return response


def login_page() -> Response:
    """``GET {prefix}/oauth2/login``: the sign-in form (or on to authorize when signed in
    and no new login is asked for)."""
    owner, _ = _owner()
    try:
        grant = _consent_grant(owner)
    except OAuth2Error as error:
        return error_response(error)
    if owner is not None and not _login_needed(owner):
        return _go(_to("authorize"), 302)
    return _page("login.html", grant.client, email="", error=None, mfa_required=False)


def login() -> Response:
    """``POST {prefix}/oauth2/login``: check the form, start a session, set the cookie and
    go on to authorize (303; without ``prompt=login`` and ``max_age``, which this login
    answered); the form again with a message when the login fails."""
    try:
        grant = _consent_grant(None)
    except OAuth2Error as error:
        return error_response(error)
    if not csrf_ok():
        return _forbidden_page()
    services = usercore_state().deps
    form = request.form
    email = form.get("email", "").strip()
    code = form.get("multi_factor_code", "").strip() or None
    page: dict[str, Any] = {"email": email, "mfa_required": code is not None}
    # A refused login answers 401 or 429: the operation rolls it back.
    try:
        issued = authentication.authenticate(services, email, form.get("password", ""),
                                             client_info(), code, remember=False)
    except (WrongCredentials, ValidationFailed) as exc:
        return _page("login.html", grant.client, status=401,
                     error=translate_text(exc.message, gettext), **page)
    except RateLimited:
        return _page("login.html", grant.client, status=429, **page,
                     error=gettext("too many attempts: wait a moment and try again"))
    if isinstance(issued, SecondFactorChallenge):  # the form asks for the code too
        return _page("login.html", grant.client, error=None, **{**page, "mfa_required": True})
    response = _go(_to("authorize", signed_in=True), 303)
    set_session_cookie(response, services.config, issued.token, issued.expires)
    return response


def consent_page() -> Response:
    """``GET {prefix}/oauth2/consent``: what the client asks for, Allow and Deny."""
    owner, _ = _owner()
    try:
        grant = _consent_grant(owner)
    except OAuth2Error as error:
        return error_response(error)
    if owner is None or _login_needed(owner):
        return _go(_to("login"), 302)
    scopes = [(s, str(SCOPE_TEXT.get(s, s))) for s in grant.request.scope.split()]
    return _page("consent.html", grant.client, user=owner.user, scopes=scopes)


def consent() -> Response:
    """``POST {prefix}/oauth2/consent``: store the consent and 302 to the client with a
    code, or with ``access_denied``."""
    owner, _ = _owner()
    server = authorization_server()
    try:
        grant = _consent_grant(owner)
    except OAuth2Error as error:
        return error_response(error)
    if not csrf_ok():
        return _forbidden_page()
    if owner is None or _login_needed(owner):
        return _go(_to("login"), 303)
    if request.form.get("decision") != "allow":
        return _grant(server, None, grant)
    consents.grant_consent(usercore_state().deps, owner.user, grant.client.get_client_id(),
                           grant.request.scope)
    return _grant(server, owner, grant)
