"""What the OAuth2 endpoints read and answer, as our OpenAPI document shows it.

The views of ``views.py`` read their requests themselves (Authlib, after the input hygiene of
``hygiene.py``) and answer RFC 6749's ``{"error", "error_description"}``: these schemas only
document them (the operation wrapper loads none of them). Their rules are the server's: each
text parameter refuses control characters (``Text``, as ``hygiene.py`` does) and is at most
its :data:`~.hygiene.LIMITS` length (else :data:`~.hygiene.DEFAULT_LIMIT`); the enums are
the values Authlib and our grants accept. ``tests/test_openapi_oauth2.py`` checks that every
parameter here has the server's limit and that schemathesis finds no answer the document
does not describe.

Parameters: RFC 6749 (authorization and token requests), RFC 7636 (PKCE), RFC 7009
(revocation), RFC 7662 (introspection), OpenID Connect Core 3.1.2.1, and mittwald's
``grant_consent``, ``grant_type`` and ``multi_factor_code``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields
from marshmallow.validate import Length, OneOf, Range, Regexp

from ..schemas.text import SINGLE_LINE_PATTERN, Text
from ..web import Answer, Documented
from .clients import KNOWN_SCOPES
from .hygiene import DEFAULT_LIMIT, LIMITS, NAME_LIMIT

#: RFC 7636 4.1 and 4.2: what a code verifier and an S256 code challenge look like (Authlib
#: refuses anything else with ``invalid_request``).
PKCE = r"^[A-Za-z0-9._~-]{43,128}$"
#: A form's parameters that the server does not know: ignored, but like every parameter a
#: name of at most ``NAME_LIMIT`` and a value of at most ``DEFAULT_LIMIT`` characters, no
#: control characters in either (``hygiene.py``).
UNKNOWN = {"propertyNames": {"maxLength": NAME_LIMIT, "pattern": SINGLE_LINE_PATTERN},
           "additionalProperties": {"type": "string", "maxLength": DEFAULT_LIMIT,
                                    "pattern": SINGLE_LINE_PATTERN}}
#: The scopes a client may ask for (``openid`` with a signing key).
SCOPES = " ".join(KNOWN_SCOPES)


def param(name: str, description: str, *, required: bool = False, **kwargs: Any) -> Text:
    """A text parameter named ``name``: no control characters, at most the length
    ``hygiene.py`` allows it."""
    checks: list[Any] = [Length(max=LIMITS.get(name, DEFAULT_LIMIT))]
    if "enum" in kwargs:
        checks.append(OneOf(kwargs.pop("enum")))
    if "pattern" in kwargs:
        checks.append(Regexp(kwargs.pop("pattern")))
    return Text(required=required, validate=checks, data_key=name,
                metadata={"description": description, **kwargs})


class Parameters(Schema):
    """Parameters the server does not know are ignored (after the input hygiene)."""

    class Meta:
        unknown = INCLUDE


class AuthorizationRequest(Parameters):
    """The query of ``GET /oauth2/authorize`` and of the login and consent pages (which
    carry the authorization request on)."""

    response_type = param("response_type", "Must be `code` (RFC 6749 4.1.1).",
                          required=True, enum=["code"])
    client_id = param("client_id", "The client identifier (RFC 6749 2.2).", required=True)
    redirect_uri = param("redirect_uri", "One of the client's registered redirection URIs; "
                         "without it, the client's only one.", format="uri")
    scope = param("scope", f"Space-separated scopes among `{SCOPES}` (RFC 6749 3.3).")
    state = param("state", "Sent back with the code or the error (RFC 6749 4.1.1).")
    code_challenge = param("code_challenge", "PKCE S256 challenge (RFC 7636 4.2); "
                           "required of a public client.", pattern=PKCE)
    code_challenge_method = param("code_challenge_method", "PKCE method (RFC 7636 4.3).",
                                  enum=["S256"])
    grant_consent = fields.Boolean(data_key="grant_consent", metadata={
        "description": "With a session token in a header: `true` grants the consent, "
                       "`false` denies it (mittwald)."})
    grant_type = param("grant_type", "If given, `authorization_code` (mittwald).",
                       enum=["authorization_code"])
    nonce = param("nonce", "OpenID Connect: copied into the ID token.")
    prompt = param("prompt", "OpenID Connect: space-separated `none`, `login`, `consent`, "
                   "`select_account`.")
    max_age = fields.Integer(data_key="max_age", validate=Range(min=0), metadata={
        "description": "OpenID Connect: the longest time, in seconds, since the user signed "
                       "in."})
    login_hint = param("login_hint", "OpenID Connect: the e-mail address to sign in with.")
    id_token_hint = param("id_token_hint", "OpenID Connect: an ID token we issued.")
    ui_locales = param("ui_locales", "OpenID Connect: preferred languages.")
    display = param("display", "OpenID Connect: how to display the pages.")
    acr_values = param("acr_values", "OpenID Connect: requested authentication classes.")
    response_mode = param("response_mode", "OAuth 2.0 Multiple Response Types.")


class LoginForm(Parameters):
    """The sign-in form of the login page."""

    csrf_token = param("csrf_token", "The form's token (from the page and its cookie).",
                       required=True)
    email = param("email", "The user's e-mail address.", required=True)
    password = param("password", "The user's password.", required=True)
    multi_factor_code = param("multi_factor_code", "The second factor, when asked for.")


class ConsentForm(Parameters):
    """The Allow/Deny form of the consent page."""

    csrf_token = param("csrf_token", "The form's token (from the page and its cookie).",
                       required=True)
    decision = param("decision", "`allow` grants the consent; anything else denies it.",
                     enum=["allow", "deny"])


class ClientCredentials(Parameters):
    """RFC 6749 2.3.1: a client's credentials in the form (else HTTP Basic)."""

    client_id = param("client_id", "The client identifier (a public client sends only it).")
    client_secret = param("client_secret", "A confidential client's secret (or HTTP Basic).")


class TokenRequest(ClientCredentials):
    """``POST /oauth2/token``: RFC 6749 4.1.3 (code), 6 (refresh), 4.3 (password)."""

    grant_type = param("grant_type", "The grant.", required=True,
                       enum=["authorization_code", "refresh_token", "password"])
    code = param("code", "authorization_code: the code from the authorization response.")
    redirect_uri = param("redirect_uri", "authorization_code: the authorization request's "
                         "redirect URI.", format="uri")
    code_verifier = param("code_verifier", "authorization_code: the PKCE verifier "
                          "(RFC 7636 4.5).", pattern=PKCE)
    refresh_token = param("refresh_token", "refresh_token: the refresh token.")
    scope = param("scope", f"refresh_token, password: scopes among `{SCOPES}`.")
    username = param("username", "password: the user's e-mail address.")
    password = param("password", "password: the user's password.")
    multi_factor_code = param("multi_factor_code", "password: the second factor (APITree).")


class RevocationRequest(ClientCredentials):
    """``POST /oauth2/revoke`` (RFC 7009 2.1)."""

    token = param("token", "The access or refresh token to revoke.", required=True)
    token_type_hint = param("token_type_hint", "What the token is.",
                            enum=["access_token", "refresh_token"])


class IntrospectionRequest(RevocationRequest):
    """``POST /oauth2/introspect`` (RFC 7662 2.1; confidential clients)."""

    token = param("token", "The access or refresh token to introspect.", required=True)


class TokenResponse(Schema):
    """RFC 6749 5.1 (``token_type`` lowercase, as mittwald's document has it)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, validate=OneOf(["bearer"]))
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String()
    scope = fields.String()
    id_token = fields.String(metadata={"description": "OpenID Connect: with `openid`."})


class Introspection(Schema):
    """RFC 7662 2.2: ``{"active": false}`` for a token that is not active."""

    active = fields.Boolean(required=True)
    client_id = fields.String()
    token_type = fields.String()
    scope = fields.String()
    sub = fields.String()
    iss = fields.String()
    iat = fields.Integer()
    exp = fields.Integer()
    jti = fields.String()


class Revoked(Schema):
    """RFC 7009 2.2: an empty object, whether or not the token was known."""


_REFUSED = Answer(400, "RFC 6749 `invalid_request` (a missing, repeated or invalid "
                       "parameter, control characters, too long) and the grant's errors.")
_TOKEN_401 = Answer(401, "Header token unknown or expired.", ("error",))
_TOKEN_403 = Answer(403, "Header token of a kind that may not use this page.", ("error",))
_BACK_TO_CLIENT = ("To the client's redirect URI with `code` or `error` (RFC 6749 4.1.2), ")
#: Any step of the flow: a refused authorization request goes back to a verified client.
_ERROR_TO_CLIENT = ("an invalid authorization request: its `error` to the client's verified "
                    "redirect URI (RFC 6749 4.1.2.1).")

AUTHORIZE = Documented(
    query=AuthorizationRequest, credentials="owner", answers=(
        Answer(302, _BACK_TO_CLIENT + "or to the login or consent page.", ("none",),
               headers=("Location",)),
        Answer(400, "RFC 6749 `invalid_request`, when the client or the redirect URI is "
                    "unknown (else the error goes to the client)."),
        _TOKEN_401, _TOKEN_403))
LOGIN_PAGE = Documented(
    query=AuthorizationRequest, credentials="owner", answers=(
        Answer(200, "The sign-in page.", ("html",)),
        Answer(302, "Signed in already: on to authorize; or " + _ERROR_TO_CLIENT, ("none",),
               headers=("Location",)),
        _REFUSED, _TOKEN_401, _TOKEN_403))
LOGIN = Documented(
    query=AuthorizationRequest, form=LoginForm, unknown=UNKNOWN, answers=(
        Answer(200, "The sign-in page again, asking for the second factor.", ("html",)),
        Answer(302, _ERROR_TO_CLIENT[0].upper() + _ERROR_TO_CLIENT[1:], ("none",),
               headers=("Location",)),
        Answer(303, "Signed in (the session cookie is set): on to authorize.", ("none",),
               headers=("Location", "Set-Cookie")),
        Answer(400, "RFC 6749 `invalid_request`: a bad parameter, or the form expired or "
                    "came from elsewhere (CSRF)."),
        Answer(401, "Wrong credentials: the sign-in page again.", ("html",)),
        Answer(429, "Too many attempts: the sign-in page again, or the rate limit.",
               ("html", "error"), headers=("Retry-After",))))
CONSENT_PAGE = Documented(
    query=AuthorizationRequest, credentials="owner", answers=(
        Answer(200, "The consent page.", ("html",)),
        Answer(302, "Not signed in: to the login page; or " + _ERROR_TO_CLIENT, ("none",),
               headers=("Location",)),
        _REFUSED, _TOKEN_401, _TOKEN_403))
CONSENT = Documented(
    query=AuthorizationRequest, form=ConsentForm, unknown=UNKNOWN, credentials="owner",
    answers=(
        Answer(302, _BACK_TO_CLIENT + "`access_denied` when denied.", ("none",),
               headers=("Location",)),
        Answer(303, "Not signed in: to the login page.", ("none",), headers=("Location",)),
        Answer(400, "RFC 6749 `invalid_request`: a bad parameter, or the form expired or "
                    "came from elsewhere (CSRF)."),
        _TOKEN_401, _TOKEN_403))
TOKEN = Documented(
    form=TokenRequest, unknown=UNKNOWN, credentials="client", answers=(
        Answer(200, "The tokens (RFC 6749 5.1).", ("json",), TokenResponse),
        Answer(400, "RFC 6749 5.2: `invalid_request`, `invalid_client`, `invalid_grant`, "
                    "`unauthorized_client`, `unsupported_grant_type`, `invalid_scope`."),
    ))
_CLIENT_401 = Answer(401, "RFC 6749 5.2 `invalid_client`: the client's authentication "
                          "failed.", headers=("WWW-Authenticate",))
REVOKE = Documented(
    form=RevocationRequest, unknown=UNKNOWN, credentials="client", answers=(
        Answer(200, "Revoked, or not a token of this client (RFC 7009 2.2).", ("json",),
               Revoked),
        Answer(400, "RFC 6749 5.2 and RFC 7009 2.2.1: `invalid_request`, `invalid_client`, "
                    "`unsupported_token_type`."),
        _CLIENT_401))
INTROSPECT = Documented(
    form=IntrospectionRequest, unknown=UNKNOWN, credentials="client", answers=(
        Answer(200, "The token's facts (RFC 7662 2.2).", ("json",), Introspection),
        Answer(400, "RFC 6749 5.2 and RFC 7009 2.2.1: `invalid_request`, `invalid_client`, "
                    "`unsupported_token_type`."),
        _CLIENT_401))
