"""Authlib's grants bound to our rows: authorization code (+ PKCE S256, + OpenID Connect),
refresh token (rotation with reuse detection) and resource-owner password (APITree).

These classes are the adapter layer: they read Authlib's request and call the rules in
``store.py`` and the login services with the current app's :class:`~..services.context.Deps`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from sqlalchemy import select

from ..errors import SecondFactorRequired, ValidationFailed, WrongCredentials
from ..models import Credential, OAuth2AuthorizationCode, OAuth2Client, User
from ..services.authentication import check_password_login
from ..services.context import Deps
from ..services.mfa import check_second_factor
from ..services.passwords import forget_failures
from ..state import usercore_state
from . import store
from .hygiene import ascii_text
from .parts import oauth2_parts

#: Client authentication at the token endpoint: HTTP Basic or form fields for confidential
#: clients, ``client_id`` alone for public ones (which then must prove PKCE).
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
#: The attribute of an authorization request (Authlib's ``OAuth2Request``) that holds when
#: the resource owner signed in (``pages.py`` sets it; the code keeps it as ``auth_time``).
AUTH_TIME = "usercore_auth_time"


def deps() -> Deps:
    """The services' collaborators of the current app."""
    return usercore_state().deps


class TokenRow:
    """A credential row as Authlib's ``TokenMixin`` (refresh, revocation, introspection)."""

    def __init__(self, credential: Credential, hint: str | None = None) -> None:
        self.credential = credential
        self.hint = hint

    def check_client(self, client: OAuth2Client) -> bool:
        return self.credential.description == client.get_client_id()

    def get_scope(self) -> str:
        return self.credential.roles or ""

    def get_expires_in(self) -> int:
        expires = self.credential.expires_at
        return max(0, int((expires - deps().clock()).total_seconds())) if expires else 0

    def is_expired(self) -> bool:
        """For a refresh token: its own expiry; else the access token's."""
        row = self.credential
        expires = row.refresh_expires_at if self.hint == "refresh_token" else row.expires_at
        return expires is not None and expires <= deps().clock()

    def is_revoked(self) -> bool:
        return False  # a revoked token's row is deleted

    def get_user(self) -> User | None:
        return deps().session.get(User, self.credential.user_id)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; a public client must use it (RFC 7636, RFC 9700 2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        super().validate_code_challenge(grant, redirect_uri)
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("a public client must send a code_challenge (PKCE S256)")


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Codes are single use, bound to client, redirect URI and PKCE challenge; a second use
    revokes what the first one issued (``store.use_code``)."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request: Any, client: OAuth2Client) -> str:
        """Authlib's check, with a description that does not repeat the URI."""
        uri = request.payload.redirect_uri
        if uri and not client.check_redirect_uri(uri):
            raise InvalidRequestError("redirect_uri is not registered for this client")
        checked: str = grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(
            request, client)
        return checked

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        store.save_code(deps(), code=code, user=request.user,
                        client_id=request.client.get_client_id(),
                        redirect_uri=request.payload.redirect_uri or "", scope=request.scope,
                        code_challenge=data.get("code_challenge"),
                        code_challenge_method=data.get("code_challenge_method") or "S256",
                        nonce=data.get("nonce"), auth_time=getattr(request, AUTH_TIME, None))

    def query_authorization_code(self, code: str,
                                 client: OAuth2Client) -> OAuth2AuthorizationCode | None:
        return store.use_code(deps(), code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: OAuth2AuthorizationCode) -> None:
        """Nothing to do: ``query_authorization_code`` marked it used."""

    def authenticate_user(self, authorization_code: OAuth2AuthorizationCode) -> User | None:
        return deps().session.get(User, authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Every refresh issues a new refresh token; the old one is kept as spent, and
    presenting it again revokes the family (``store.find_by_refresh_token``)."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRow | None:
        found = store.find_by_refresh_token(deps(), refresh_token)
        return TokenRow(found, "refresh_token") if found is not None else None

    def authenticate_user(self, refresh_token: TokenRow) -> User | None:
        return refresh_token.get_user()

    def revoke_old_credential(self, refresh_token: TokenRow) -> None:
        if not store.retire_refresh_token(deps(), refresh_token.credential):
            raise InvalidGrantError("the refresh token was already used")


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    """The APITree flow: e-mail and password (and ``multi_factor_code`` when MFA is on),
    for the clients registered with the ``password`` grant only. Wrong passwords count
    towards the account's lockout like any login."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def authenticate_user(self, username: str, password: str) -> User:
        services = deps()
        try:
            user = check_password_login(services, username, password)
            check_second_factor(services, user, self.request.form.get("multi_factor_code"))
        except WrongCredentials as exc:
            raise InvalidGrantError(ascii_text(exc.message)) from None
        except SecondFactorRequired:
            raise InvalidGrantError("multi factor authentication is active for this user: "
                                    "send multi_factor_code") from None
        except ValidationFailed:
            raise InvalidGrantError("the multi factor code is not valid") from None
        forget_failures(services, user.email_key)
        return user


def user_info(user: User, scope: str) -> UserInfo:
    """The OpenID Connect claims of ``user`` that ``scope`` allows (``sub`` always)."""
    claims: dict[str, Any] = {"sub": str(user.id)}
    if user.display_name or user.first_name:
        claims["name"] = user.display_name or f"{user.first_name} {user.last_name}"
    claims.update(given_name=user.first_name, family_name=user.last_name)
    if user.nickname:
        claims["nickname"] = claims["preferred_username"] = user.nickname
    if user.picture_url:
        claims["picture"] = user.picture_url
    if user.web_url:
        claims["website"] = user.web_url
    claims.update(email=user.email, email_verified=user.email_verified_at is not None)
    return UserInfo(claims).filter(scope)


def _signing_key() -> Any:
    """The loaded JWT signing key (the server loads it before it registers this grant)."""
    key = oauth2_parts().signing_key
    if key is None:
        raise RuntimeError("OpenID Connect needs USERCORE_OAUTH2_JWT_KEY")
    return key


class OpenIDConnectCode(OpenIDCode):  # type: ignore[misc]
    """``openid`` in the scope adds an ``id_token`` signed with ``USERCORE_OAUTH2_JWT_KEY``."""

    def __init__(self, issuer: Any) -> None:
        super().__init__(require_nonce=False)
        self.issuer = issuer  # a callable: the issuer of the current request

    def resolve_client_private_key(self, client: OAuth2Client) -> Any:
        return _signing_key().key

    def get_client_algorithm(self, client: OAuth2Client) -> str:
        return str(_signing_key().alg)

    def get_encode_header(self, client: OAuth2Client) -> dict[str, str]:
        key = _signing_key()
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: OAuth2Client) -> dict[str, Any]:
        now = int(deps().clock().timestamp())
        return {"iss": self.issuer(), "aud": [client.get_client_id()], "iat": now,
                "exp": now + deps().config.oauth2_access_token_ttl}

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        horizon = deps().clock() - dt.timedelta(seconds=deps().config.oauth2_code_ttl)
        return deps().session.scalars(select(OAuth2AuthorizationCode.id).where(
            OAuth2AuthorizationCode.client_id == request.payload.client_id,
            OAuth2AuthorizationCode.nonce == nonce,
            OAuth2AuthorizationCode.created_at > horizon).limit(1)).first() is not None

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_info(user, scope)


def family_of(request: Any) -> uuid.UUID:
    """The family of the token a request is about to get: its code's id, its refresh
    token's family, or a new one (password grant)."""
    code = getattr(request, "authorization_code", None)
    if isinstance(code, OAuth2AuthorizationCode):
        return code.id
    refreshed = getattr(request, "refresh_token", None)
    if isinstance(refreshed, TokenRow) and refreshed.credential.family_id is not None:
        return refreshed.credential.family_id
    return uuid.uuid4()
