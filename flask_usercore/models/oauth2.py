"""OAuth2 clients, authorization codes and consents.

The tokens themselves are rows of ``usercore_credentials`` (kind ``oauth2``; scopes in
``roles``; the client's ``client_id`` in ``description``; the grant they came from in
``family_id``), so every credential query (revoke all, account deletion) covers them too.

The client and code classes also answer the methods Authlib's server calls on them
(``ClientMixin``, ``AuthorizationCodeMixin``), by name: Authlib needs no base class.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..security.tokens import hash_token
from .base import Base, UserOwned, UTCDateTime, utcnow

#: Authentication methods of a confidential client at the token, revocation and
#: introspection endpoints; a public client uses ``none`` and must use PKCE.
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


#: The loopback IP literals whose port a redirect URI may choose (RFC 8252 7.3).
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "::1": "[::1]"}


def loopback_without_port(uri: str) -> str | None:
    """``uri`` without its port when it is ``http`` on a loopback IP literal (``127.0.0.1``
    or ``[::1]``, no user info), else None: such redirect URIs match on any port (RFC 8252
    7.3, RFC 9700 2.1), since a native app gets its port from the system at run time."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (a port that is not a number fails here)
    except ValueError:
        return None
    if (parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS
            or "@" in parts.netloc):
        return None
    return urlunsplit(("http", LOOPBACK_HOSTS[parts.hostname], parts.path, parts.query,
                       parts.fragment))


class OAuth2Client(Base):
    """A registered application: its redirect URIs, grant types and scopes.

    ``secret_hash`` is the SHA-256 of a 256-bit random secret (None: a public client).
    ``redirect_uris`` holds one URI per line, matched exactly (but for the port of a loopback
    IP literal); ``grant_types`` and ``scopes`` are space-separated.
    """

    __tablename__ = "usercore_oauth2_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    redirect_uris: Mapped[str] = mapped_column(Text)
    grant_types: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_public(self) -> bool:
        """A client without a secret (a browser or mobile app): PKCE is required."""
        return self.secret_hash is None

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri for uri in self.redirect_uris.split("\n") if uri]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    # -- Authlib's ClientMixin ------------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """The only registered URI when there is exactly one (RFC 6749 3.1.2.3)."""
        uris = self.redirect_uri_list
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes (all of the client's when none are asked for); None, which
        Authlib answers with ``invalid_scope``, when one of them is not the client's."""
        if not scope:
            return " ".join(self.scope_list)
        requested = list(dict.fromkeys(scope.split()))
        return " ".join(requested) if set(requested) <= set(self.scope_list) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string comparison with a registered URI (no prefix or pattern match), but
        for ``http`` on a loopback IP literal, whose port may be any (RFC 8252 7.3)."""
        uris = self.redirect_uri_list
        if redirect_uri in uris:
            return True
        loopback = loopback_without_port(redirect_uri)
        return loopback is not None and any(loopback_without_port(uri) == loopback
                                            for uri in uris)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(self.secret_hash, hash_token(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none" if self.is_public else method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.check_grant_type("authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types.split()


class OAuth2AuthorizationCode(UserOwned, Base):
    """An issued authorization code (its hash): bound to client, redirect URI, scope and
    PKCE challenge. ``used_at`` marks its one use; the row stays until it expires, so that
    a second use is recognised and revokes the tokens of the first (``family_id`` of the
    credentials = this row's ``id``)."""

    __tablename__ = "usercore_oauth2_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(
        ForeignKey("usercore_oauth2_clients.client_id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    nonce: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: When the user signed in (OpenID Connect's ``auth_time``); None: the issue time.
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_usercore_oauth2_codes_user_id", "user_id"),
                      Index("ix_usercore_oauth2_codes_client_id", "client_id"))

    # -- Authlib's AuthorizationCodeMixin (OpenID Connect's too) ---------------------------

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        """When the user signed in (the issue time for a code stored without it)."""
        return int((self.auth_time or self.created_at).timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OAuth2Consent(UserOwned, Base):
    """The scopes a user allowed a client, and when last."""

    __tablename__ = "usercore_oauth2_consents"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usercore_users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(
        ForeignKey("usercore_oauth2_clients.client_id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("uq_usercore_oauth2_consents_user_id_client_id", "user_id",
                            "client_id", unique=True),
                      Index("ix_usercore_oauth2_consents_client_id", "client_id"))
