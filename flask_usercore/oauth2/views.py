"""The OAuth2 operations: mittwald's authorize and token, and our extras (revocation,
introspection, JWKS, userinfo, OpenID discovery, authorized apps, login and consent pages).

Token, revocation and introspection answer with Authlib's RFC 6749 bodies unchanged, but
for two things mittwald's document asks of its token endpoint: ``token_type`` is ``bearer``
(see ``server.py``), and ``invalid_client`` is a 400 there (the document lists it among the
400 errors; Authlib answers 401 to HTTP Basic). Revocation and introspection, ours, keep RFC
6749 5.2's 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request

from ..errors import N_, NotFound
from ..models import CredentialKind
from ..runtime.unit_of_work import RunMode
from ..schemas.oauth2 import AuthorizedAppSchema
from ..services.access import SESSION_ONLY
from ..state import usercore_state
from ..web import CapabilityBlueprint, Page, current_auth, deps
from . import consents, documented, hygiene
from .parts import oauth2_parts

if TYPE_CHECKING:
    from ..security.signing_keys import SigningKey
    from .server import UserCoreAuthorizationServer

# Authlib, joserfc and cryptography (pages, grants, server, metadata) are imported by the
# first OAuth2 request, not by every worker at start: most requests never need them.

bp = CapabilityBlueprint("oauth2", __name__)
_OURS = ("OAuth2",)


def _limit() -> None:
    """The token endpoints' limits, per client address and per claimed client id."""
    from authlib.oauth2.rfc6749.util import extract_basic_authorization

    limiter = oauth2_parts().limiter
    if limiter is None:
        return
    limiter.hit("oauth2-address", request.remote_addr or "")
    client_id = (extract_basic_authorization(request.headers)[0]
                 or request.form.get("client_id") or "")
    if client_id:
        limiter.hit("oauth2-client", client_id[:64])


def _refused() -> Response | None:
    """Token, revocation, introspection: RFC 6749's 400 ``invalid_request`` for a parameter
    that fails the input hygiene (``hygiene.py``), or its 401 ``invalid_client`` for HTTP
    Basic credentials that do, before Authlib, the limiter (which reads the client id) or the
    database sees it."""
    bad = hygiene.token_request_problem()
    if bad is None:
        return None
    from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError

    error = (InvalidClientError(description=bad.description, status_code=401)
             if bad.error == "invalid_client" else InvalidRequestError(bad.description))
    return authorization_server().handle_error_response(  # type: ignore[no-any-return]
        None, error)


def _finish(response: Response, *, token: bool = False) -> Response:
    """Answer ``invalid_client`` with mittwald's 400 at the ``token`` endpoint, else with RFC
    6749 5.2's 401 and ``WWW-Authenticate`` (Authlib answers an unknown client of the form
    with a 400). (The operation rolls back what a refused request wrote; revocations of
    reuse are durable writes, committed already.)"""
    if (response.status_code in (400, 401) and (response.get_json(silent=True) or {}).get(
            "error") == "invalid_client"):
        response.status_code = 400 if token else 401
        if not token and "WWW-Authenticate" not in response.headers:
            response.headers["WWW-Authenticate"] = 'Basic error="invalid_client"'
    return response


def authorization_server() -> UserCoreAuthorizationServer:
    """The current app's Authlib server (``server.authorization_server``)."""
    from .server import authorization_server as server

    return server()


def signing_key() -> SigningKey | None:
    """The JWT signing key, or None (:func:`flask_usercore.oauth2.server.signing_key`)."""
    from .server import signing_key as key

    return key()


def metadata() -> Response:
    """RFC 8414 metadata (:func:`flask_usercore.oauth2.metadata.metadata`)."""
    from .metadata import metadata as document

    return document()


@bp.operation("GET", "/oauth2/authorize", operation_id="user-oauth-get-authorization",
              summary="Obtain authorization from the resource owner.", status=302, kinds=(),
              writes=True,
              error_format="oauth2", documented=documented.AUTHORIZE)
def authorize() -> Response:
    from . import pages

    return pages.refused() or pages.authorize()


@bp.operation("POST", "/oauth2/token", operation_id="user-oauth-retrieve-access-token",
              summary="Retrieve Access Token from Authorization Code.", kinds=(),
              body_format="form",
              error_format="oauth2", documented=documented.TOKEN)
def token() -> Response:
    refused = _refused()
    if refused is not None:
        return _finish(refused, token=True)
    _limit()
    return _finish(authorization_server().create_token_response(), token=True)


@bp.operation("POST", "/oauth2/revoke", operation_id="oauth2-revoke-token", kinds=(),
              summary="Revoke an access or refresh token (RFC 7009).", body_format="form",
              tags=_OURS,
              error_format="oauth2", documented=documented.REVOKE)
def revoke() -> Response:
    refused = _refused()
    if refused is not None:
        return refused
    _limit()
    return _finish(authorization_server().create_endpoint_response("revocation"))


@bp.operation("POST", "/oauth2/introspect", operation_id="oauth2-introspect-token", kinds=(),
              summary="Introspect a token (RFC 7662; confidential clients).",
              body_format="form", tags=_OURS,
              error_format="oauth2", documented=documented.INTROSPECT)
def introspect() -> Response:
    refused = _refused()
    if refused is not None:
        return refused
    _limit()
    return _finish(authorization_server().create_endpoint_response("introspection"))


@bp.operation("GET", "/oauth2/jwks", operation_id="oauth2-jwks", kinds=(), tags=_OURS,
              summary="The public key of JWT access and ID tokens (JWK Set).")
def jwks() -> Response:
    authorization_server()  # loads the key
    key = signing_key()
    if key is None:
        raise NotFound(N_("no signing key is configured (USERCORE_OAUTH2_JWT_KEY)"))
    response = jsonify(key.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.operation("GET", "/oauth2/userinfo", operation_id="oauth2-userinfo", tags=_OURS,
              kinds={CredentialKind.OAUTH2}, scopes=("openid",),
              summary="OpenID Connect UserInfo of the token's user.")
def userinfo() -> dict[str, Any]:
    from .grants import user_info

    auth = current_auth()
    return dict(user_info(auth.user, " ".join(sorted(auth.scopes))))


@bp.operation("POST", "/oauth2/userinfo", operation_id="oauth2-userinfo-post", tags=_OURS,
              kinds={CredentialKind.OAUTH2}, scopes=("openid",), runs=RunMode.READ,
              summary="OpenID Connect UserInfo of the token's user, by POST (OIDC Core 5.3.1).")
def userinfo_post() -> dict[str, Any]:
    return userinfo()


@bp.operation("GET", "/.well-known/openid-configuration", kinds=(), tags=_OURS,
              operation_id="oauth2-openid-configuration",
              summary="OpenID Connect discovery (with USERCORE_OAUTH2_JWT_KEY).")
def openid_configuration() -> Response:
    authorization_server()
    if signing_key() is None:
        raise NotFound(N_("OpenID Connect needs USERCORE_OAUTH2_JWT_KEY"))
    from .metadata import discovery

    return discovery()


@bp.operation("GET", "/users/self/oauth2/consents", operation_id="oauth2-list-consents",
              summary="The apps you allowed to use your account.", kinds=SESSION_ONLY,
              response=AuthorizedAppSchema, many=True, tags=_OURS)
def list_consents() -> Page:
    apps = consents.list_consents(deps(), current_auth().user)
    return Page(apps, len(apps), len(apps), 0)


@bp.operation("DELETE", "/users/self/oauth2/consents/<clientId>",
              operation_id="oauth2-withdraw-consent", status=204, kinds=SESSION_ONLY,
              summary="Withdraw a consent and revoke that app's tokens.", tags=_OURS)
def withdraw_consent(clientId: str) -> None:
    consents.withdraw_consent(deps(), current_auth().user, clientId)


@bp.operation("GET", "/oauth2/login", operation_id="oauth2-login-page", kinds=(), tags=_OURS,
              summary="The sign-in page of the authorization flow (HTML).",
              error_format="oauth2", documented=documented.LOGIN_PAGE)
def login_page() -> Response:
    from . import pages

    return pages.refused() or pages.login_page()


@bp.operation("POST", "/oauth2/login", operation_id="oauth2-login", kinds=(), tags=_OURS,
              summary="Sign in from the login page (HTML form).", body_format="form",
              rate_limit_group="login",
              error_format="oauth2", documented=documented.LOGIN)
def login() -> Response:
    from . import pages

    return pages.refused() or pages.login()


@bp.operation("GET", "/oauth2/consent", operation_id="oauth2-consent-page", kinds=(),
              tags=_OURS, summary="The consent page of the authorization flow (HTML).",
              error_format="oauth2", documented=documented.CONSENT_PAGE)
def consent_page() -> Response:
    from . import pages

    return pages.refused() or pages.consent_page()


@bp.operation("POST", "/oauth2/consent", operation_id="oauth2-consent", kinds=(), tags=_OURS,
              summary="Allow or deny from the consent page (HTML form).", body_format="form",
              error_format="oauth2", documented=documented.CONSENT)
def consent() -> Response:
    from . import pages

    return pages.refused() or pages.consent()


@bp.record_once
def _install(state: Any) -> None:
    """Remember our prefix, build the token endpoint's limiter, and mount the RFC 8414
    metadata at the well-known location for the issuer (outside our prefix)."""
    from urllib.parse import urlsplit

    from ..runtime.ratelimit import RateLimiter

    core = usercore_state(state.app)
    prefix = state.url_prefix or ""
    parts = oauth2_parts(state.app)
    parts.prefix = prefix
    if core.config.oauth2_ratelimit:
        parts.limiter = RateLimiter(core.config.ratelimit_storage_uri,
                                    core.config.oauth2_ratelimit, shared=core.limiter.storage)
    path = urlsplit(core.config.oauth2_issuer).path if core.config.oauth2_issuer else prefix
    state.app.add_url_rule(f"/.well-known/oauth-authorization-server{path}",
                           "usercore_oauth2_metadata", metadata, methods=["GET"])
