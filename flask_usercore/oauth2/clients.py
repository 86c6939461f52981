"""Registering OAuth2 clients (``flask usercore create-oauth-client``), listing, deleting.

A confidential client gets a secret, shown once and stored as its SHA-256 hash; a public
client (``--public``: browser and mobile apps) has none and must use PKCE. Redirect URIs are
matched exactly: each must be absolute, without fragment, and ``https``, ``http`` on a
loopback host (RFC 8252 7.3), or a private-use scheme such as ``com.example.app:/cb``.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from ..errors import N_, FieldError, NotFound, ValidationFailed
from ..models import Credential, CredentialKind, OAuth2Client
from ..models.sqlite import delete_dependents
from ..security.tokens import hash_token, new_token
from ..services.context import Deps

#: Scopes a client may be given: ``profile`` (the Profile operations), OpenID Connect's
#: ``openid`` and ``email`` (ID token and userinfo claims), ``usercore.admin`` (the admin API
#: for a user holding that permission: docs/admin.md).
KNOWN_SCOPES = ("profile", "openid", "email", "usercore.admin")
GRANT_TYPES = ("authorization_code", "refresh_token", "password")
DEFAULT_GRANTS = ("authorization_code", "refresh_token")
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class NewClient:
    """A registered client and its secret in clear (None for a public client)."""

    client: OAuth2Client
    client_secret: str | None


def _redirect_uri_problem(uri: str) -> str | None:
    if not uri or any(ord(c) < 0x21 or ord(c) == 0x7F for c in uri):
        return N_("must be a URI without spaces or control characters")
    try:
        parts = urlsplit(uri)
    except ValueError:
        return N_("is not a URI")
    if parts.fragment or "#" in uri:
        return N_("must not have a fragment (RFC 6749 3.1.2)")
    if parts.scheme == "https":
        return None if parts.hostname else N_("needs a host")
    if parts.scheme == "http":
        host = parts.hostname or ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host in _LOOPBACK_NAMES
        return None if loopback else N_("http is allowed only on a loopback host; use https")
    if "." in parts.scheme and parts.path:  # a private-use scheme (RFC 8252 7.1)
        return None
    return N_("must be https, http on a loopback host, or a private-use scheme "
              "(com.example:/cb)")


def _check(name: str, redirect_uris: Sequence[str], scopes: Sequence[str],
           grant_types: Sequence[str]) -> None:
    errors: list[FieldError] = []
    if not name.strip() or len(name) > 120 or not name.isprintable():
        errors.append(FieldError(".name", N_("must be 1 to 120 printable characters"), "name"))
    if not redirect_uris and "authorization_code" in grant_types:
        errors.append(FieldError(".redirectUris", N_("at least one redirect URI is needed for "
                                 "the authorization_code grant"), "required"))
    for index, uri in enumerate(redirect_uris):
        problem = _redirect_uri_problem(uri)
        if problem is None and len(uri) > 2048:
            problem = N_("must be at most 2048 characters")
        if problem:
            errors.append(FieldError(f".redirectUris[{index}]", N_(
                "%(uri)s %(problem)s", uri=repr(uri), problem=problem), "format"))
    for scope in scopes:
        if scope not in KNOWN_SCOPES:
            errors.append(FieldError(".scopes", N_(
                "unknown scope %(name)s; known: %(known)s", name=repr(scope),
                known=", ".join(KNOWN_SCOPES)), "enum"))
    for grant in grant_types:
        if grant not in GRANT_TYPES:
            errors.append(FieldError(".grantTypes", N_(
                "unknown grant type %(name)s; known: %(known)s", name=repr(grant),
                known=", ".join(GRANT_TYPES)), "enum"))
    if errors:
        raise ValidationFailed(errors)



def new_client_id() -> str:
    """24 URL-safe random characters (144 bits) that never start with ``-``, so that the
    id can be passed to the command line as it is."""
    while True:
        client_id = secrets.token_urlsafe(18)
        if not client_id.startswith("-"):
            return client_id

def create_client(deps: Deps, *, name: str, redirect_uris: Sequence[str],
                  scopes: Sequence[str] = ("profile",),
                  grant_types: Sequence[str] = DEFAULT_GRANTS,
                  public: bool = False) -> NewClient:
    """Register a client; its secret (confidential clients) is returned once, in clear."""
    scopes = list(dict.fromkeys(scopes or ("profile",)))
    grant_types = list(dict.fromkeys(grant_types or DEFAULT_GRANTS))
    redirect_uris = list(dict.fromkeys(redirect_uris))
    _check(name, redirect_uris, scopes, grant_types)
    secret = None if public else new_token()
    client = OAuth2Client(client_id=new_client_id(), name=name.strip(),
                          secret_hash=hash_token(secret) if secret else None,
                          redirect_uris="\n".join(redirect_uris),
                          grant_types=" ".join(grant_types), scopes=" ".join(scopes))
    deps.session.add(client)
    deps.session.flush()
    return NewClient(client, secret)


def list_clients(deps: Deps) -> list[OAuth2Client]:
    """Every registered client, oldest first."""
    return list(deps.session.scalars(
        select(OAuth2Client).order_by(OAuth2Client.created_at, OAuth2Client.client_id)))


def find_client(deps: Deps, client_id: str) -> OAuth2Client | None:
    """The client of ``client_id``, or None."""
    return deps.session.get(OAuth2Client, client_id) if client_id else None


def delete_client(deps: Deps, client_id: str) -> None:
    """Delete a client with its codes and consents and every token it holds; 404 if unknown."""
    client = find_client(deps, client_id)
    if client is None:
        raise NotFound(N_("there is no OAuth2 client %(id)s", id=repr(client_id)))
    deps.session.execute(
        delete(Credential).where(Credential.kind.in_([CredentialKind.OAUTH2,
                                                      CredentialKind.OAUTH2_SPENT_REFRESH]),
                                 Credential.description == client_id)
        .execution_options(synchronize_session=False))
    # its codes and consents: ON DELETE CASCADE, or delete_dependents where SQLite's foreign
    # keys are off (USERCORE_SQLITE_FOREIGN_KEYS = False)
    delete_dependents(deps.uow.connection(), OAuth2Client.__table__,
                      OAuth2Client.client_id == client_id)
    deps.session.delete(client)
    deps.session.flush()
