"""Sign-in by provider and the linked identities (docs/providers.md): the operations. The
browser's side of a flow (Authlib's client, the flow's state in Flask's session cookie) is
:mod:`flask_usercore.web.providers`."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request

from ..commands.empty import Empty
from ..commands.identities import ProviderMfa, ProviderQuery
from ..errors import N_, FirstFactorExpired, ProviderRefused, UserCoreError
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
from ..web import (
    CapabilityBlueprint,
    Page,
    Reply,
    client_info,
    current_auth,
    deps,
    empty,
    providers,
)
from ..web.transport import set_session_cookie

bp = CapabilityBlueprint("identities", __name__)
_OURS = ("Providers",)


def _redirect(url: str, status: int = 302) -> Response:
    return Response(status=status, headers={"Location": url})


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
    url = providers.authorization_url(providers.provider_settings(provider),
                                      cookie_only=query.cookie_only, link=None)
    return _redirect(url, 302)


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
    settings = providers.provider_settings(provider)
    flow = providers.pop_flow(provider, request.args.get("state", ""))
    if flow is None:
        raise ProviderRefused(400, "ProviderSignInFailed", N_("this sign-in is unknown, used or "
                                                                  "expired: start it again"))
    urls = providers.return_urls(flow, deps().config.provider_return_url, provider)
    try:
        return _complete(settings, flow, urls)
    except UserCoreError as exc:
        if urls is None:
            raise
        deps().uow.rollback()  # nothing stored, as for the JSON error
        if flow.get("urls"):  # the account pages show the message
            providers.remember_failure(exc.message)
        return _redirect(providers.with_query(urls.failed, error=_error_type(exc)))


def _error_type(exc: UserCoreError) -> str:
    errors = getattr(exc, "errors", None)
    return errors[0].type if errors else exc.type


def _complete(settings: ProviderSettings, flow: dict[str, Any],
              urls: providers.ReturnUrls | None) -> Response | Reply | IssuedSession:
    """The callback after its state was found: a link, or a sign-in; in a browser flow
    (``urls``) the answers are redirects."""
    profile = providers.provider_profile(settings)
    if flow.get("link"):
        identities.link(deps(), uuid.UUID(flow["link"]), settings, profile)
        return _redirect(urls.linked) if urls else empty(204)
    outcome = identities.sign_in(deps(), settings, profile, client_info())
    if isinstance(outcome, SecondFactorChallenge):
        providers.remember_mfa(outcome.user_id, cookie_only=bool(flow["cookie_only"]),
                               done=urls.done if flow.get("urls") and urls else None)
        return _redirect(urls.mfa) if urls else Reply(outcome, 202)
    if urls is not None:
        response = _redirect(urls.done)
        set_session_cookie(response, deps().config, outcome.token, outcome.expires)
        return response
    return _session_reply(outcome, bool(flow["cookie_only"]))


@bp.operation("POST", "/providers/authenticate-mfa", operation_id="providers-authenticate-mfa",
              kinds=(), tags=_OURS, body=ProviderMfaSchema, response=TokenResult,
              rate_limit_group="login", extra_statuses=(204, 408),
              summary="Complete a sign-in by provider that answered 202 with the second "
                      "factor.")
def authenticate_mfa(body: ProviderMfa) -> Response | IssuedSession:
    pending = providers.pending_mfa()
    if pending is None:
        raise FirstFactorExpired(N_("no sign-in by provider is waiting for a second factor"))
    issued = identities.complete_mfa(deps(), uuid.UUID(pending["user"]),
                                     body.multi_factor_code, client_info())
    providers.forget_mfa()
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
    url = providers.authorization_url(providers.provider_settings(provider),
                                      cookie_only=False, link=current_auth().user.id)
    return {"authorization_url": url}


@bp.operation("DELETE", "/users/self/identities/<provider>", operation_id="identities-unlink",
              tags=_OURS, status=204, extra_statuses=(404, 409),
              summary="Unlink a provider from your account (refused for the last way to "
                      "sign in).")
def unlink(provider: str) -> None:
    identities.unlink(deps(), current_auth().user, provider)
