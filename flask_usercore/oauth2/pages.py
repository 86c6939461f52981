"""The browser side of ``GET /v2/oauth2/authorize``: who the resource owner is, and the
login and consent pages (Jinja templates under ``usercore/oauth2/``) that end in the same
302 to the client as mittwald's ``grant_consent=true``.

The resource owner is the user of a session token: the ``x-access-token`` header,
``Authorization: Bearer``, or the ``x-access-token`` cookie. ``grant_consent=true`` is
honoured with a header token only (mittwald: "in combination with the Authorization
header"): a cookie is sent on any cross-site navigation, so a cookie alone gets the consent
page, whose form carries a CSRF token. The pages allow no script and cannot be framed.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from flask import Response, current_app, jsonify, redirect, render_template, request
from itsdangerous import BadData, URLSafeTimedSerializer

from ..errors import RateLimited, ValidationFailed, WrongCredentials
from ..models import OAuth2Client, User
from ..services import authentication
from ..services.access import SESSION_ONLY
from ..services.authentication import SecondFactorChallenge
from ..state import usercore_state
from ..web.authenticator import authenticate
from ..web.loading import client_info
from ..web.transport import presented_token, set_session_cookie, trusted_origin
from . import consents, hygiene
from .parts import oauth2_parts
from .server import authorization_server

CSRF_COOKIE = "usercore_oauth2_csrf"
_CSRF_MAX_AGE = 3600
#: What each scope lets the client do, as the consent page says it.
SCOPE_TEXT = {"profile": "read and change your profile (name, nickname, picture, ...) and "
                         "change your password when you confirm it",
              "openid": "know who you are (your user id)",
              "email": "see your e-mail address",
              "usercore.admin": "administer the accounts as you may (the admin API)"}


def _owner() -> tuple[User | None, bool]:
    """The session user of this request and whether the token came in a header.

    A header token that is unknown answers 401, a valid one of another kind 403 (an API
    client); a stale cookie means "not signed in" (a browser: the login page).
    """
    auth = authenticate(SESSION_ONLY, mode="page")  # only a login may consent
    if auth is None:
        return None, False
    presented = presented_token(usercore_state().config, cookie=True)
    return auth.user, presented is not None and not presented.from_cookie


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


def _query() -> str:
    """The authorization request's parameters, to carry through login and consent."""
    keep = [(k, v) for k, v in request.args.items(multi=True)
            if k not in ("grant_consent", "csrf_token")]
    return urlencode(keep)


def _to(path: str) -> str:
    prefix = oauth2_parts().prefix
    prefix = usercore_state().config.url_prefix if prefix is None else prefix
    return f"{prefix}/oauth2/{path}?{_query()}"


def _consent_grant(owner: User | None) -> Any:
    grant = authorization_server().get_consent_grant(end_user=owner)
    if request.args.get("grant_type") not in (None, "authorization_code"):
        raise InvalidRequestError("grant_type must be authorization_code",
                                  redirect_uri=grant.redirect_uri,
                                  state=request.args.get("state"))
    return grant


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
    page, or to the consent page; a 400 for an unknown client or redirect URI."""
    owner, from_header = _owner()
    server = authorization_server()
    try:
        grant = _consent_grant(owner)
        wanted = _grant_consent_flag(grant)
    except OAuth2Error as error:
        return error_response(error)
    if wanted is False:
        return server.create_authorization_response(grant_user=None, grant=grant)  # type: ignore[no-any-return]
    if owner is None:
        return _go(_to("login"), 302)
    services = usercore_state().deps
    client_id, scope = grant.client.get_client_id(), grant.request.scope
    prompt = request.args.get("prompt", "").split()
    if wanted and from_header:
        consents.grant_consent(services, owner, client_id, scope)
    elif "consent" in prompt or not consents.has_consent(services, owner, client_id, scope):
        return _go(_to("consent"), 302)
    return server.create_authorization_response(grant_user=owner, grant=grant)  # type: ignore[no-any-return]


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
    html = render_template(f"usercore/oauth2/{template}", client=client, csrf_token=token,
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
    """The CSP source of a redirect URI (the form's 302 goes there)."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


def _forbidden_page() -> Response:
    response = jsonify({"error": "invalid_request",
                        "error_description": "the form expired or did not come from this site;"
                                             " reload the page"})
    response.status_code = 400
    return response


def login_page() -> Response:
    """``GET {prefix}/oauth2/login``: the sign-in form (or on to authorize when signed in)."""
    owner, _ = _owner()
    try:
        grant = _consent_grant(owner)
    except OAuth2Error as error:
        return error_response(error)
    if owner is not None:
        return _go(_to("authorize"), 302)
    return _page("login.html", grant.client, email="", error=None, mfa_required=False)


def login() -> Response:
    """``POST {prefix}/oauth2/login``: check the form, start a session, set the cookie and
    go on to authorize (303); the form again with a message when the login fails."""
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
        return _page("login.html", grant.client, status=401, error=exc.message, **page)
    except RateLimited:
        return _page("login.html", grant.client, status=429, **page,
                     error="too many attempts: wait a moment and try again")
    if isinstance(issued, SecondFactorChallenge):  # the form asks for the code too
        return _page("login.html", grant.client, error=None, **{**page, "mfa_required": True})
    response = _go(_to("authorize"), 303)
    set_session_cookie(response, services.config, issued.token, issued.expires)
    return response


def consent_page() -> Response:
    """``GET {prefix}/oauth2/consent``: what the client asks for, Allow and Deny."""
    owner, _ = _owner()
    try:
        grant = _consent_grant(owner)
    except OAuth2Error as error:
        return error_response(error)
    if owner is None:
        return _go(_to("login"), 302)
    scopes = [(s, SCOPE_TEXT.get(s, s)) for s in grant.request.scope.split()]
    return _page("consent.html", grant.client, user=owner, scopes=scopes)


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
    if owner is None:
        return _go(_to("login"), 303)
    if request.form.get("decision") != "allow":
        return server.create_authorization_response(grant_user=None, grant=grant)  # type: ignore[no-any-return]
    consents.grant_consent(usercore_state().deps, owner, grant.client.get_client_id(),
                           grant.request.scope)
    return server.create_authorization_response(grant_user=owner, grant=grant)  # type: ignore[no-any-return]
