"""The browser's side of a sign-in by provider (docs/providers.md), on Authlib's Flask
client: the providers of ``USERCORE_PROVIDERS``, their discovery, PKCE, ``state``,
``nonce`` and the ID token's checks are Authlib's. A flow is started here (by the API's
``/providers/<provider>/authorize`` and ``POST /users/self/identities/<provider>``, or by
the account pages) and checked here when the provider sends the browser back; what the
answer means is :mod:`flask_usercore.services.identities`'. The flow's state lives in
Flask's signed session cookie (Authlib's, and ours beside it), used once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from flask import Flask, current_app, session, url_for

from ..commands.identities import ProviderProfile
from ..errors import N_, NotFound, ProviderRefused
from ..security.providers import ProviderSettings
from ..state import usercore_state

#: Where the app's Authlib registry of our providers is kept (not Authlib's own key: a
#: host's ``OAuth(app)`` stays its own).
REGISTRY = "usercore.providers"
_FLOW = "usercore_provider_flow_"
_MFA = "usercore_provider_mfa"
_FAILED = "usercore_provider_failed"
#: Seconds a started flow waits for its callback (Authlib keeps its state as long).
FLOW_TTL = 3600
#: The operation the provider sends the browser back to.
CALLBACK_OPERATION = "providers-callback"


@dataclass(frozen=True, slots=True)
class ReturnUrls:
    """Where a browser flow sends the browser when the callback is done: after a sign-in
    (the session cookie set), when the account's second factor is needed, after a link,
    and after a refusal (with ``?error=<type>``)."""

    done: str
    mfa: str
    linked: str
    failed: str

    def to_json(self) -> dict[str, str]:
        return {"done": self.done, "mfa": self.mfa, "linked": self.linked,
                "failed": self.failed}


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def provider_settings(provider: str) -> ProviderSettings:
    """The settings of the configured ``provider``; 404 when there is none."""
    found = usercore_state().config.providers.get(provider)
    if found is None:
        raise NotFound(N_("no sign-in provider is called %(name)s", name=repr(provider)))
    return found


def client(settings: ProviderSettings) -> Any:
    """Authlib's client of the provider (one registry per app, made on first use)."""
    from authlib.integrations.flask_client import OAuth

    app = cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    registry: Any = app.extensions.get(REGISTRY)
    if registry is None:
        registry = OAuth()
        registry.app = app  # without init_app: the host's own OAuth(app) keeps its key
        for each in usercore_state().config.providers.values():
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
        app.extensions[REGISTRY] = registry
    return registry.create_client(settings.name)


def unreachable(settings: ProviderSettings) -> ProviderRefused:
    """502 ``ProviderUnreachable``."""
    return ProviderRefused(502, "ProviderUnreachable", N_(
        "%(provider)s cannot be reached now: try again later", provider=settings.title))


def authorization_url(settings: ProviderSettings, *, cookie_only: bool,
                      link: uuid.UUID | None, urls: ReturnUrls | None = None) -> str:
    """Start a flow: the provider's authorization URL, its state remembered (a sign-in,
    or a link to the account ``link``; ``urls``: where the browser goes afterwards, for a
    flow of the account pages)."""
    import requests

    found = client(settings)
    redirect_uri = url_for(_callback_endpoint(), provider=settings.name, _external=True)
    try:
        started = found.create_authorization_url(redirect_uri)
    except (requests.RequestException, ValueError):
        raise unreachable(settings) from None
    found.save_authorize_data(redirect_uri=redirect_uri, **started)
    now = time.time()
    for key in [key for key in session if key.startswith(_FLOW)]:  # the cookie stays small
        if not isinstance(session[key], dict) or session[key].get("exp", 0) < now:
            session.pop(key)
    session[_FLOW + started["state"]] = {
        "cookie_only": cookie_only, "exp": now + FLOW_TTL,
        "link": str(link) if link else None, "urls": urls.to_json() if urls else None}
    return cast(str, started["url"])


def _callback_endpoint() -> str:
    """The endpoint of the callback operation, under the name the API's blueprint was
    registered with."""
    for endpoint, view in current_app.view_functions.items():
        operation = getattr(view, "usercore_operation", None)
        if operation is not None and operation.operation_id == CALLBACK_OPERATION:
            return endpoint
    raise NotFound(N_("the API's provider callback is not mounted"))


def pop_flow(provider: str, state: str) -> dict[str, Any] | None:
    """The flow started with ``state``, forgotten now (used once); None when it is
    unknown, used or expired."""
    flow = session.pop(_FLOW + state, None)
    if not isinstance(flow, dict) or flow.get("exp", 0) < time.time():
        session.pop(f"_state_{provider}_{state}", None)
        return None
    return flow


def return_urls(flow: dict[str, Any], return_url: str, provider: str) -> ReturnUrls | None:
    """Where a browser flow ends: the account pages' URLs it was started with, else
    ``USERCORE_PROVIDER_RETURN_URL`` (``return_url``) for a cookie-only sign-in or a link;
    None for a flow that answers JSON."""
    if isinstance(flow.get("urls"), dict):
        return ReturnUrls(**flow["urls"])
    if not return_url or not (flow.get("cookie_only") or flow.get("link")):
        return None
    return ReturnUrls(done=return_url, mfa=with_query(return_url, mfa="required"),
                      linked=with_query(return_url, linked=provider), failed=return_url)


@contextmanager
def refusals(settings: ProviderSettings) -> Iterator[None]:
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
        raise unreachable(settings) from None


def id_token_checks(found: Any) -> dict[str, Any]:
    """The claims options of the ID token's check: its issuer the discovered one (Authlib's
    default) and its audience our client id (OpenID Connect Core 3.1.3.7; Authlib alone
    checks the audience only through ``azp``, so a token for another client with ``azp`` set
    to ours would pass)."""
    checks: dict[str, Any] = {"aud": {"essential": True, "values": [found.client_id]}}
    issuer = found.load_server_metadata().get("issuer")
    if issuer:
        checks["iss"] = {"values": [issuer]}
    return checks


def provider_profile(settings: ProviderSettings) -> ProviderProfile:
    """Authlib's checked answer of the provider (state, code + PKCE; the ID token's
    signature, iss, aud, exp and nonce), see :func:`refusals`."""
    found = client(settings)
    with refusals(settings):
        if settings.kind == "github":
            return _github(settings, found, found.authorize_access_token())
        token = found.authorize_access_token(claims_options=id_token_checks(found))
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


def _github(settings: ProviderSettings, found: Any, token: dict[str, Any]) -> ProviderProfile:
    """GitHub (OAuth2, no ID token): the user by ``GET /user``, the verified primary
    address from ``GET /user/emails``."""
    user = found.get("user", token=token)
    user.raise_for_status()
    emails = found.get("user/emails", token=token)
    primary: dict[str, Any] = next((each for each in (emails.json() if emails.ok else [])
                    if each.get("primary")), {})
    me = user.json()
    name = (me.get("name") or me.get("login") or "").split(" ", 1)
    return ProviderProfile(
        provider=settings.name, issuer=settings.issuer, subject=str(me["id"]),
        email=primary.get("email"), email_verified=primary.get("verified") is True,
        first_name=name[0] or None, last_name=name[1] if len(name) > 1 else None,
        tokens=_tokens(settings, token))


def remember_mfa(user_id: uuid.UUID, *, cookie_only: bool, done: str | None) -> None:
    """A sign-in waits for the account's second factor (then the browser goes to
    ``done``, or answers as ``cookie_only`` says)."""
    session[_MFA] = {"user": str(user_id), "cookie_only": cookie_only, "done": done}


def pending_mfa() -> dict[str, Any] | None:
    """The sign-in waiting for its second factor in this browser, or None."""
    pending = session.get(_MFA)
    return pending if isinstance(pending, dict) else None


def forget_mfa() -> None:
    """The waiting sign-in is done."""
    session.pop(_MFA, None)


def remember_failure(message: str) -> None:
    """The message of a refused browser flow of the account pages, shown once by the page
    it returns to."""
    session[_FAILED] = message


def pop_failure() -> str | None:
    """The message :func:`remember_failure` kept, forgotten now."""
    found = session.pop(_FAILED, None)
    return found if isinstance(found, str) else None
