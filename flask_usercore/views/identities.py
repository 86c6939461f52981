"""Sign-in by provider and the linked identities (docs/providers.md), on Authlib's Flask
client: the providers of ``USERCORE_PROVIDERS``, their discovery, PKCE, ``state``,
``nonce`` and the ID token's checks are Authlib's. The flow's state lives in Flask's signed
session cookie (Authlib's, and ours beside it), used once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlencode

from flask import Flask, Response, current_app, request, session, url_for

from ..commands.empty import Empty
from ..commands.identities import ProviderMfa, ProviderProfile, ProviderQuery
from ..errors import N_, FirstFactorExpired, NotFound, ProviderRefused, UserCoreError
from ..schemas.authentication import TokenResult
from ..schemas.base import EmptySchema
from ..schemas.identities import (
    AuthorizationUrlSchema,
    IdentitySchema,
    ProviderMfaSchema,
    ProviderQuerySchema,
    ProviderSchema,
    ProviderSecondFactorSchema,
)
from ..security.providers import ProviderSettings
from ..services import identities
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession, SecondFactorChallenge
from ..web import CapabilityBlueprint, Page, Reply, client_info, current_auth, deps, empty
from ..web.transport import set_session_cookie

bp = CapabilityBlueprint("identities", __name__)
_OURS = ("Providers",)
#: Where the app's Authlib registry of our providers is kept (not Authlib's own key: a
#: host's ``OAuth(app)`` stays its own).
_REGISTRY = "usercore.providers"
_FLOW = "usercore_provider_flow_"
_MFA = "usercore_provider_mfa"
#: Seconds a started flow waits for its callback (Authlib keeps its state as long).
FLOW_TTL = 3600


def _redirect(url: str, status: int = 302) -> Response:
    return Response(status=status, headers={"Location": url})


def _settings(provider: str) -> ProviderSettings:
    found = deps().config.providers.get(provider)
    if found is None:
        raise NotFound(N_("no sign-in provider is called %(name)s", name=repr(provider)))
    return found


def _client(settings: ProviderSettings) -> Any:
    """Authlib's client of the provider (one registry per app, made on first use)."""
    from authlib.integrations.flask_client import OAuth

    app = cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    registry: Any = app.extensions.get(_REGISTRY)
    if registry is None:
        registry = OAuth()
        registry.app = app  # without init_app: the host's own OAuth(app) keeps its key
        for each in deps().config.providers.values():
            kwargs: dict[str, Any] = {
                "client_id": each.client_id, "client_secret": each.client_secret,
                "client_kwargs": {"scope": each.scope, "code_challenge_method": "S256"}}
            if each.kind == "github":
                kwargs.update(authorize_url="https://github.com/login/oauth/authorize",
                              access_token_url="https://github.com/login/oauth/access_token",  # noqa: S106
                              api_base_url="https://api.github.com/")
            else:
                kwargs["server_metadata_url"] = each.discovery_url
            registry.register(each.name, **kwargs)
        app.extensions[_REGISTRY] = registry
    return registry.create_client(settings.name)


def _unreachable(settings: ProviderSettings) -> ProviderRefused:
    return ProviderRefused(502, "ProviderUnreachable", N_(
        "%(provider)s cannot be reached now: try again later", provider=settings.title))


def _authorization_url(settings: ProviderSettings, *, cookie_only: bool,
                       link: uuid.UUID | None) -> str:
    """Start a flow: the provider's authorization URL, its state remembered."""
    import requests

    client = _client(settings)
    redirect_uri = url_for(".callback", provider=settings.name, _external=True)
    try:
        started = client.create_authorization_url(redirect_uri)
    except (requests.RequestException, ValueError):
        raise _unreachable(settings) from None
    client.save_authorize_data(redirect_uri=redirect_uri, **started)
    now = time.time()
    for key in [key for key in session if key.startswith(_FLOW)]:  # the cookie stays small
        if not isinstance(session[key], dict) or session[key].get("exp", 0) < now:
            session.pop(key)
    session[_FLOW + started["state"]] = {"cookie_only": cookie_only, "exp": now + FLOW_TTL,
                                         "link": str(link) if link else None}
    return cast(str, started["url"])


@bp.operation("GET", "/providers", operation_id="providers-list", kinds=(), tags=_OURS,
              summary="List the providers one can sign in with.", response=ProviderSchema,
              many=True)
def list_providers() -> Page:
    return Page.whole(list(deps().config.providers.values()), paginated=False)


@bp.operation("GET", "/providers/<provider>/authorize", operation_id="providers-authorize",
              kinds=(), tags=_OURS, status=302, query=ProviderQuerySchema,
              rate_limit_group="login", extra_statuses=(404, 502),
              summary="Start a sign-in with a provider: a redirect to it (PKCE, state, "
                      "nonce).")
def authorize(provider: str, query: ProviderQuery) -> Response:
    url = _authorization_url(_settings(provider), cookie_only=query.cookie_only, link=None)
    return _redirect(url, 302)


@contextmanager
def _refusals(settings: ProviderSettings) -> Iterator[None]:
    """Authlib's failures in the block as our errors: a refusal or an ID token that fails a
    check (signature, iss, aud, exp, nonce) a 400 ``ProviderSignInFailed``, a network
    failure a 502."""
    import requests
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    try:
        yield
    except OAuthError as exc:
        raise ProviderRefused(400, "ProviderSignInFailed", N_(
            "%(provider)s refused the sign-in: %(error)s", provider=settings.title,
            error=exc.error)) from None
    except JoseError as exc:
        raise ProviderRefused(400, "ProviderSignInFailed", N_(
            "%(provider)s's ID token is not valid: %(problem)s", provider=settings.title,
            problem=exc.description or exc.error)) from None
    except requests.RequestException:
        raise _unreachable(settings) from None


def _id_token_checks(client: Any) -> dict[str, Any]:
    """The claims options of the ID token's check: its issuer the discovered one (Authlib's
    default) and its audience our client id (OpenID Connect Core 3.1.3.7; Authlib alone
    checks the audience only through ``azp``, so a token for another client with ``azp`` set
    to ours would pass)."""
    checks: dict[str, Any] = {"aud": {"essential": True, "values": [client.client_id]}}
    issuer = client.load_server_metadata().get("issuer")
    if issuer:
        checks["iss"] = {"values": [issuer]}
    return checks


def _profile(settings: ProviderSettings, client: Any) -> ProviderProfile:
    """Authlib's checked answer of the provider (state, code + PKCE; the ID token's
    signature, iss, aud, exp and nonce), see :func:`_refusals`."""
    with _refusals(settings):
        if settings.kind == "github":
            return _github(settings, client, client.authorize_access_token())
        token = client.authorize_access_token(claims_options=_id_token_checks(client))
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise ProviderRefused(400, "ProviderSignInFailed",
                              N_("%(provider)s sent no valid ID token", provider=settings.title))
    amr = claims.get("amr") or []
    return ProviderProfile(
        provider=settings.name, issuer=str(claims["iss"]), subject=str(claims["sub"]),
        email=claims.get("email"), email_verified=claims.get("email_verified") is True,
        first_name=claims.get("given_name") or claims.get("name"),
        last_name=claims.get("family_name"),
        provider_mfa=isinstance(amr, list) and "mfa" in amr,
        tokens=_tokens(settings, token))


def _tokens(settings: ProviderSettings, token: dict[str, Any]) -> str | None:
    if not settings.keep_tokens:
        return None
    return json.dumps({key: token[key] for key in
                       ("access_token", "refresh_token", "expires_at", "scope", "id_token")
                       if key in token})


def _github(settings: ProviderSettings, client: Any, token: dict[str, Any]) -> ProviderProfile:
    """GitHub (OAuth2, no ID token): the user by ``GET /user``, the verified primary
    address from ``GET /user/emails``."""
    user = client.get("user", token=token)
    user.raise_for_status()
    emails = client.get("user/emails", token=token)
    primary: dict[str, Any] = next((each for each in (emails.json() if emails.ok else [])
                    if each.get("primary")), {})
    me = user.json()
    name = (me.get("name") or me.get("login") or "").split(" ", 1)
    return ProviderProfile(
        provider=settings.name, issuer=settings.issuer, subject=str(me["id"]),
        email=primary.get("email"), email_verified=primary.get("verified") is True,
        first_name=name[0] or None, last_name=name[1] if len(name) > 1 else None,
        tokens=_tokens(settings, token))


def _session_reply(issued: IssuedSession, cookie_only: bool) -> Response | IssuedSession:
    if not cookie_only:
        return issued
    config = deps().config
    response = (_redirect(config.provider_return_url, 302) if config.provider_return_url
                else empty(204))
    set_session_cookie(response, config, issued.token, issued.expires)
    return response


@bp.operation("GET", "/providers/<provider>/callback", operation_id="providers-callback",
              kinds=(), tags=_OURS, writes=True, response=TokenResult,
              rate_limit_group="login", extra_statuses=(202, 204, 401, 403, 404, 409, 502),
              alternatives={202: ProviderSecondFactorSchema},
              summary="Where the provider sends the browser back: a session like "
                      "POST /v2/authenticate's (or the link completed).")
def callback(provider: str) -> Response | Reply | IssuedSession:
    settings = _settings(provider)
    flow = session.pop(_FLOW + request.args.get("state", ""), None)
    if not isinstance(flow, dict) or flow.get("exp", 0) < time.time():
        session.pop(f"_state_{provider}_{request.args.get('state', '')}", None)
        raise ProviderRefused(400, "ProviderSignInFailed", N_("this sign-in is unknown, used or "
                              "expired: start it again"))
    return_url = deps().config.provider_return_url
    browser = bool(return_url) and bool(flow.get("cookie_only") or flow.get("link"))
    try:
        return _complete(settings, flow, return_url if browser else "")
    except UserCoreError as exc:
        if not browser:
            raise
        deps().uow.rollback()  # nothing stored, as for the JSON error
        return _redirect(_with(return_url, error=_error_type(exc)))


def _with(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _error_type(exc: UserCoreError) -> str:
    errors = getattr(exc, "errors", None)
    return errors[0].type if errors else exc.type


def _complete(settings: ProviderSettings, flow: dict[str, Any],
              return_url: str) -> Response | Reply | IssuedSession:
    """The callback after its state was found: a link, or a sign-in; in a browser flow
    (``return_url``) the answers that are no session are redirects there."""
    profile = _profile(settings, _client(settings))
    if flow.get("link"):
        identities.link(deps(), uuid.UUID(flow["link"]), settings, profile)
        return _redirect(_with(return_url, linked=settings.name)) if return_url else empty(204)
    outcome = identities.sign_in(deps(), settings, profile, client_info())
    if isinstance(outcome, SecondFactorChallenge):
        session[_MFA] = {"user": str(outcome.user_id), "cookie_only": flow["cookie_only"]}
        if return_url:
            return _redirect(_with(return_url, mfa="required"))
        return Reply(outcome, 202)
    return _session_reply(outcome, bool(flow["cookie_only"]))


@bp.operation("POST", "/providers/authenticate-mfa", operation_id="providers-authenticate-mfa",
              kinds=(), tags=_OURS, body=ProviderMfaSchema, response=TokenResult,
              rate_limit_group="login", extra_statuses=(204, 408),
              summary="Complete a sign-in by provider that answered 202 with the second "
                      "factor.")
def authenticate_mfa(body: ProviderMfa) -> Response | IssuedSession:
    pending = session.get(_MFA)
    if not isinstance(pending, dict):
        raise FirstFactorExpired(N_("no sign-in by provider is waiting for a second factor"))
    issued = identities.complete_mfa(deps(), uuid.UUID(pending["user"]),
                                     body.multi_factor_code, client_info())
    session.pop(_MFA, None)
    return _session_reply(issued, bool(pending.get("cookie_only")))


@bp.operation("GET", "/users/self/identities", operation_id="identities-list", tags=_OURS,
              summary="List the providers linked to your account.", response=IdentitySchema,
              many=True)
def list_identities() -> Page:
    return Page.whole(identities.list_identities(deps(), current_auth().user),
                      paginated=False)


@bp.operation("POST", "/users/self/identities/<provider>", operation_id="identities-link",
              tags=_OURS, kinds=SESSION_ONLY, fresh=True, body=EmptySchema,
              response=AuthorizationUrlSchema, extra_statuses=(404, 502),
              summary="Link a provider's account to yours (a fresh session): the URL to "
                      "send the browser to.")
def link(provider: str, body: Empty) -> dict[str, str]:
    url = _authorization_url(_settings(provider), cookie_only=False,
                             link=current_auth().user.id)
    return {"authorization_url": url}


@bp.operation("DELETE", "/users/self/identities/<provider>", operation_id="identities-unlink",
              tags=_OURS, status=204, extra_statuses=(404, 409),
              summary="Unlink a provider from your account (refused for the last way to "
                      "sign in).")
def unlink(provider: str) -> None:
    identities.unlink(deps(), current_auth().user, provider)
