"""One Authlib ``AuthorizationServer`` per app, bound to our clients, grants and tokens.

Built on first use from the app's config (:func:`authorization_server`) and kept in the
extension state. Access tokens are opaque (256 random bits) or, with
``USERCORE_OAUTH2_JWT_KEY``, RFC 9068 JWTs whose ``jti`` is the id of their credential row;
either way the row (looked up by the token's hash) is what makes a token valid here, so
revocation takes effect at once. ``token_type`` is the lowercase ``bearer`` of mittwald's
document.
"""

from __future__ import annotations

import uuid
from typing import Any, cast
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import (
    InvalidRequestError,
    OAuth2Error,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import request
from joserfc import jwt

from ..models import OAuth2Client
from ..security.signing_keys import SigningKey, load_signing_key
from ..security.tokens import new_token
from ..state import usercore_state
from ..web.loading import client_info
from . import clients, grants, store
from .parts import oauth2_parts


def issuer() -> str:
    """``USERCORE_OAUTH2_ISSUER``, else this request's scheme and host plus our prefix."""
    config = usercore_state().config
    return config.oauth2_issuer or request.host_url.rstrip("/") + config.url_prefix


def endpoint_base() -> str:
    """Where our operations are: the issuer, or the issuer plus our prefix when the issuer
    lies above the prefix (an issuer that is the host's origin, e.g. ``https://id.example.com``
    with the operations under ``/v2``)."""
    base, prefix = issuer(), usercore_state().config.url_prefix
    return base if not prefix or urlsplit(base).path.endswith(prefix) else base + prefix


def signing_key() -> SigningKey | None:
    """The JWT signing key of the current app, or None (opaque tokens, no OpenID Connect)."""
    return oauth2_parts().signing_key


def scopes_supported() -> list[str]:
    """``profile`` and ``email``; ``openid`` too when a signing key is configured."""
    return [s for s in clients.KNOWN_SCOPES if s != "openid" or signing_key() is not None]


class _Subject:
    """What Authlib's JWT generator reads the ``sub`` claim from."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def get_user_id(self) -> str:
        return self.user_id


class JWTAccessTokens(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens: ``typ`` ``at+jwt``, ``kid`` of our key, ``jti`` a fresh id,
    ``aud`` the issuer (the API these tokens are for)."""

    def __init__(self, key: SigningKey, **kwargs: Any) -> None:
        super().__init__(alg=key.alg, **kwargs)
        self.key = key

    def get_jwks(self) -> Any:
        return self.key.key_set

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return str(uuid.uuid4())

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return str(self.issuer)

    def access_token_generator(self, client: Any, grant_type: str, user: Any,
                               scope: str) -> str:
        subject = _Subject(str(user.id)) if user is not None else None
        token: str = super().access_token_generator(client, grant_type, subject, scope)
        return token


def _opaque(**_: Any) -> str:
    return new_token()


def generate_token(grant_type: str, client: OAuth2Client, user: Any = None,
                   scope: str | None = None, expires_in: int | None = None,
                   include_refresh_token: bool = True) -> dict[str, Any]:
    """The token response: ``access_token`` (opaque or JWT), lowercase ``token_type``,
    ``expires_in``, ``scope``, and a ``refresh_token`` for clients allowed to refresh."""
    config = usercore_state().config

    def lifetime(client: Any, grant_type: str) -> int:
        return config.oauth2_access_token_ttl

    key = signing_key()
    generator: BearerTokenGenerator = (
        JWTAccessTokens(key, issuer=issuer(), refresh_token_generator=_opaque,
                        expires_generator=lifetime) if key is not None
        else BearerTokenGenerator(_opaque, _opaque, lifetime))
    token: dict[str, Any] = generator.generate(
        grant_type, client, user=user, scope=scope, expires_in=expires_in,
        include_refresh_token=include_refresh_token and client.check_grant_type("refresh_token"))
    token["token_type"] = "bearer"  # noqa: S105 (mittwald's enum: lowercase)
    return token


def save_token(token: dict[str, Any], oauth_request: Any) -> None:
    """Store a new token as a credential row (a JWT's ``jti`` becomes the row's id)."""
    services = grants.deps()
    credential_id = None
    key = signing_key()
    if key is not None:
        claims = jwt.decode(token["access_token"], key.key, algorithms=[key.alg]).claims
        credential_id = uuid.UUID(claims["jti"])
    grant = store.TokenGrant(user=oauth_request.user,
                             client_id=oauth_request.client.get_client_id(),
                             scope=token.get("scope", ""),
                             family_id=grants.family_of(oauth_request),
                             grant_type=oauth_request.payload.grant_type or "")
    store.issue_token(services, grant, access_token=token["access_token"],
                      refresh_token=token.get("refresh_token"),
                      expires_in=int(token["expires_in"]), client=client_info(),
                      credential_id=credential_id)


class UnsupportedTokenType(OAuth2Error):  # type: ignore[misc]
    """A ``token_type_hint`` we do not know: RFC 7009 2.2.1's error with the 400 of RFC 6749
    5.2 (Authlib's ``UnsupportedTokenTypeError`` is a 401)."""

    error = "unsupported_token_type"
    description = "token_type_hint must be access_token or refresh_token"


def _check_hint(oauth_request: Any, supported: tuple[str, ...]) -> None:
    """Refuse a ``token_type_hint`` that is not one of ``supported`` (revocation and
    introspection), before Authlib's own check answers it with a 401."""
    hint = oauth_request.form.get("token_type_hint")
    if hint and hint not in supported:
        raise UnsupportedTokenType()


class UnsupportedResponseType(UnsupportedResponseTypeError):  # type: ignore[misc]
    """An authorization request whose ``response_type`` is not ``code``; the description
    does not repeat the value (Authlib's does, and fails on one that is not ASCII)."""

    description = "response_type must be code"

    def __init__(self, redirect_uri: str | None) -> None:
        super().__init__("code", redirect_uri=redirect_uri)

    def get_error_description(self) -> str:
        return str(self.description)


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: a client revokes its own access or refresh token (both go); whatever its
    ``token_type_hint`` (2.1: a hint naming the other type still finds the token)."""

    CLIENT_AUTH_METHODS = grants.CLIENT_AUTH_METHODS

    def check_params(self, oauth_request: Any, client: OAuth2Client) -> None:
        _check_hint(oauth_request, self.SUPPORTED_TOKEN_TYPES)
        super().check_params(oauth_request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        found = store.find_token(grants.deps(), token_string, token_type_hint)
        return grants.TokenRow(*found) if found is not None else None

    def revoke_token(self, token: grants.TokenRow, oauth_request: Any) -> None:
        store.revoke_token(grants.deps(), token.credential)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662 for confidential clients (a host's resource servers): any token of ours,
    whatever its ``token_type_hint`` (2.1)."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def check_params(self, oauth_request: Any, client: OAuth2Client) -> None:
        _check_hint(oauth_request, self.SUPPORTED_TOKEN_TYPES)
        super().check_params(oauth_request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        found = store.find_token(grants.deps(), token_string, token_type_hint)
        return grants.TokenRow(*found) if found is not None else None

    def check_permission(self, token: Any, client: OAuth2Client, oauth_request: Any) -> bool:
        return not client.is_public

    def introspect_token(self, token: grants.TokenRow) -> dict[str, Any]:
        row = token.credential
        expires = row.refresh_expires_at if token.hint == "refresh_token" else row.expires_at
        payload: dict[str, Any] = {
            "active": True, "client_id": row.description, "token_type": "bearer",
            "scope": row.roles or "", "sub": str(row.user_id), "iss": issuer(),
            "iat": int(row.created_at.timestamp()), "jti": str(row.id)}
        if expires is not None:
            payload["exp"] = int(expires.timestamp())
        return payload


class UserCoreAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's Flask server without its ``OAUTH2_*`` config: ours is ``USERCORE_OAUTH2_*``."""

    def __init__(self) -> None:
        super().__init__(query_client=self._find_client, save_token=save_token)
        self.register_token_generator("default", generate_token)

    @staticmethod
    def _find_client(client_id: str) -> OAuth2Client | None:
        return clients.find_client(grants.deps(), client_id)

    def handle_response(self, status_code: int, payload: Any, headers: Any) -> Any:
        """Authlib's Flask response; a redirect to the client (a code or an error) carries
        the ``iss`` of RFC 9207 2 (Authlib's ``IssuerParameter`` hook is never run by its
        server)."""
        if status_code == 302:
            headers = [(name, add_params_to_uri(value, [("iss", issuer())])
                        if name.lower() == "location" else value) for name, value in headers]
        return super().handle_response(status_code, payload, headers)

    def validate_requested_scope(self, scope: str | None) -> None:
        self.scopes_supported = scopes_supported()
        super().validate_requested_scope(scope)

    def verified_redirect_uri(self, client_id: str | None,
                              redirect_uri: str | None) -> str | None:
        """Where an authorization request's error may go (RFC 6749 4.1.2.1): its
        ``redirect_uri`` when the client ``client_id`` registered it, the client's only URI
        when none is given; None (no redirect) when the client or the URI is unknown."""
        client = self._find_client(client_id) if client_id else None
        if client is None:
            return None
        if redirect_uri:
            return redirect_uri if client.check_redirect_uri(redirect_uri) else None
        return client.get_default_redirect_uri()

    def get_authorization_grant(self, oauth_request: Any) -> Any:
        """The code grant; ``invalid_request`` naming the missing ``response_type`` or
        ``client_id``; ``unsupported_response_type`` without repeating the value."""
        payload = oauth_request.payload
        missing = [name for name in ("response_type", "client_id") if not payload.data.get(name)]
        if missing:
            raise InvalidRequestError(
                f"missing parameter{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                redirect_uri=self.verified_redirect_uri(payload.client_id, payload.redirect_uri))
        if not grants.AuthorizationCodeGrant.check_authorization_endpoint(oauth_request):
            raise UnsupportedResponseType(
                self.verified_redirect_uri(payload.client_id, payload.redirect_uri))
        return super().get_authorization_grant(oauth_request)


def authorization_server() -> UserCoreAuthorizationServer:
    """The current app's server, built on first use."""
    state = usercore_state()
    parts = oauth2_parts()
    server = cast("UserCoreAuthorizationServer | None", parts.server)
    if server is None:
        if state.config.oauth2_jwt_key:
            parts.signing_key = load_signing_key(state.config.oauth2_jwt_key)
        server = UserCoreAuthorizationServer()
        extensions: list[Any] = [grants.S256CodeChallenge(required=True)]
        if state.config.oauth2_jwt_key:
            extensions.append(grants.OpenIDConnectCode(issuer))
        server.register_grant(grants.AuthorizationCodeGrant, extensions)
        server.register_grant(grants.RefreshTokenGrant)
        server.register_grant(grants.PasswordGrant)
        server.register_endpoint(Revocation)
        server.register_endpoint(Introspection)
        parts.server = server
    return server
