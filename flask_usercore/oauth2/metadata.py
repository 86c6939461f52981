"""Server metadata: RFC 8414 at ``/.well-known/oauth-authorization-server{issuer path}``
and, with a signing key, OpenID Connect discovery at ``{issuer}/.well-known/
openid-configuration``; both built with Authlib's metadata classes and validated by them
when the issuer is https.

The operation serves discovery at ``{prefix}/.well-known/openid-configuration``, which is
``{issuer}/.well-known/openid-configuration`` when the issuer ends with the prefix. A host
whose issuer is its origin routes ``/.well-known/openid-configuration`` to
:func:`discovery` (docs/oauth2.md).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Response, jsonify
from werkzeug.exceptions import NotFound

from ..errors import N_
from .clients import GRANT_TYPES
from .server import authorization_server, endpoint_base, issuer, scopes_supported, signing_key

_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def _document() -> dict[str, Any]:
    authorization_server()  # loads the signing key
    base = endpoint_base()
    doc: dict[str, Any] = {
        "issuer": issuer(),
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "introspection_endpoint": f"{base}/oauth2/introspect",
        "scopes_supported": scopes_supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": _AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": _AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": _AUTH_METHODS[:2],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,  # RFC 9207
    }
    key = signing_key()
    if key is not None:
        doc.update(jwks_uri=f"{base}/oauth2/jwks", userinfo_endpoint=f"{base}/oauth2/userinfo",
                   subject_types_supported=["public"],
                   id_token_signing_alg_values_supported=[key.alg],
                   claims_supported=["sub", "name", "given_name", "family_name", "nickname",
                                     "preferred_username", "picture", "website", "email",
                                     "email_verified"])
    if doc["issuer"].startswith("https://"):
        (OpenIDProviderMetadata if key is not None else AuthorizationServerMetadata)(
            doc).validate()
    return doc


def _reply(doc: dict[str, Any]) -> Response:
    response = jsonify(doc)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def metadata() -> Response:
    """``GET /.well-known/oauth-authorization-server{issuer path}`` (RFC 8414 3)."""
    return _reply(_document())


def discovery() -> Response:
    """``GET {issuer}/.well-known/openid-configuration`` (OpenID Connect Discovery 4); a
    plain 404 without ``USERCORE_OAUTH2_JWT_KEY``. A view a host may route at its root."""
    doc = _document()
    if signing_key() is None:
        raise NotFound(N_("OpenID Connect needs USERCORE_OAUTH2_JWT_KEY"))
    return _reply(doc)
