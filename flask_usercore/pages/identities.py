"""Signing in with another provider and the linked providers, on the flow of
:mod:`flask_usercore.web.providers` (the API's: the same state, PKCE, checks and
callback) and :mod:`flask_usercore.services.identities` (the rules of ``GET/POST/DELETE
/v2/users/self/identities``). A flow started here comes back to these pages: signed in
(the session cookie), on the second factor's step, or with the refusal's message."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import Response, redirect, request, url_for
from flask_wtf.csrf import generate_csrf

from .. import i18n
from ..errors import N_, FirstFactorExpired, UserCoreError
from ..forms.identities import (
    LinkProviderForm,
    ProviderCodeForm,
    ProviderStartForm,
    UnlinkProviderForm,
)
from ..services import identities, reauth
from ..services.context import Auth
from ..web import providers
from ..web.loading import client_info
from ..web.transport import set_session_cookie
from .framework import PageRequest, PagesBlueprint, deps, go, render, safe_next


def _see_other(url: str) -> Response:
    return redirect(url, 303)  # type: ignore[return-value]


def _sign_in_url() -> str:
    """The sign-in page, with the ``next`` it was opened with."""
    target = request.args.get("next")
    if target:
        return url_for("usercore_pages.sign_in", next=target)
    return url_for("usercore_pages.sign_in")


def provider_sign_in(page: PageRequest, provider: str) -> Response:
    """``POST /sign-in/provider/<provider>``: the flow starts (the browser goes to the
    provider); it comes back signed in to ``next``, or to the second factor's step, or to
    the sign-in page with the refusal."""
    if not ProviderStartForm().validate_on_submit():
        providers.remember_failure(i18n.gettext(
            "The form expired or did not come from this site: please send it again."))
        return _see_other(_sign_in_url())
    home = url_for("usercore_pages.home")
    urls = providers.ReturnUrls(
        done=safe_next(request.args.get("next"), home),
        mfa=url_for("usercore_pages.provider_code"), linked=home, failed=_sign_in_url())
    try:
        url = providers.authorization_url(providers.provider_settings(provider),
                                          cookie_only=True, link=None, urls=urls)
    except UserCoreError as exc:
        providers.remember_failure(exc.message)
        return _see_other(providers.with_query(urls.failed, error=exc.type))
    return _see_other(url)


def provider_code_page(page: PageRequest) -> Response:
    """``GET /sign-in/provider``: the second factor of a sign-in by provider; without one
    waiting, the sign-in page."""
    if providers.pending_mfa() is None:
        return go("usercore_pages.sign_in")
    return render("provider-code.html", form=ProviderCodeForm(), errors=[])


def provider_code(page: PageRequest) -> Response:
    """``POST /sign-in/provider``: the code completes the waiting sign-in (as ``POST
    /v2/providers/authenticate-mfa`` does); the session cookie, then on."""
    form: ProviderCodeForm = page.form
    pending = providers.pending_mfa()
    if pending is None:
        raise FirstFactorExpired(N_("no sign-in by provider is waiting for a second factor"))
    issued = identities.complete_mfa(deps(), uuid.UUID(pending["user"]),
                                     (form.multiFactorCode.data or "").strip(),
                                     client_info())
    providers.forget_mfa()
    response = _see_other(safe_next(pending.get("done"), url_for("usercore_pages.home")))
    set_session_cookie(response, deps().config, issued.token, issued.expires)
    return response


def providers_page(page: PageRequest) -> Response:
    """``GET /providers``: the linked providers, and the form that links another."""
    form = LinkProviderForm()
    return render("providers.html", form=form, errors=[], **_providers_context(page))


def link_provider(page: PageRequest) -> Response:
    """``POST /providers/link``: a fresh session or the password (as the API's link
    asks), then the browser goes to the provider; it comes back to this page."""
    form: LinkProviderForm = page.form
    settings = providers.provider_settings(form.provider.data or "")
    reauth.require_recent(deps(), cast(Auth, page.auth), form.password.data or None,
                          field="password")
    here = url_for("usercore_pages.providers")
    urls = providers.ReturnUrls(
        done=here, mfa=here, failed=here,
        linked=url_for("usercore_pages.providers", linked=settings.name))
    return _see_other(providers.authorization_url(settings, cookie_only=False,
                                                  link=page.user.id, urls=urls))


def _providers_context(page: PageRequest) -> dict[str, Any]:
    linked = identities.list_identities(deps(), page.user)
    names = {identity.provider for identity in linked}
    configured = deps().config.providers
    return {"identities": linked, "titles": {name: each.title
                                             for name, each in configured.items()},
            "unlinked": [each for name, each in configured.items() if name not in names],
            "failure": providers.pop_failure()}


def unlink_page(page: PageRequest, provider: str) -> Response:
    """``GET /providers/<provider>/unlink``: the confirmation step."""
    return render("unlink-provider.html", form=UnlinkProviderForm(), errors=[],
                  **_unlink_context(page))


def unlink(page: PageRequest, provider: str) -> Response:
    """``POST /providers/<provider>/unlink``: confirmed, the identity is unlinked (not
    the last way to sign in: the service refuses it)."""
    identities.unlink(deps(), page.user, provider)
    return go("usercore_pages.providers", unlinked=provider)


def _unlink_context(page: PageRequest) -> dict[str, Any]:
    name = str((request.view_args or {}).get("provider", ""))
    found = deps().config.providers.get(name)
    return {"provider": name, "title": found.title if found else name}


def _template_helpers() -> dict[str, Any]:
    """What the shared templates use: the providers to sign in with (the sign-in page's
    buttons, the links to the providers page), a CSRF token for the buttons' forms, and
    the message of a refused flow."""
    return {"sign_in_providers": lambda: list(deps().config.providers.values()),
            "provider_csrf": generate_csrf, "provider_failure": providers.pop_failure}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page_context(_template_helpers)
    bp.page("/sign-in/provider/<provider>", endpoint="provider_sign_in", methods=("POST",),
            signed_in=False, rate_limit_group="login")(provider_sign_in)
    bp.page("/sign-in/provider", endpoint="provider_code", signed_in=False)(
        provider_code_page)
    bp.page("/sign-in/provider", endpoint="provider_code_post", methods=("POST",),
            signed_in=False, form=ProviderCodeForm, template="provider-code.html",
            rate_limit_group="login")(provider_code)
    bp.page("/providers", endpoint="providers")(providers_page)
    bp.page("/providers/link", endpoint="link_provider", methods=("POST",),
            form=LinkProviderForm, template="providers.html",
            context=_providers_context)(link_provider)
    bp.page("/providers/<provider>/unlink", endpoint="unlink_provider")(unlink_page)
    bp.page("/providers/<provider>/unlink", endpoint="unlink_provider_post",
            methods=("POST",), form=UnlinkProviderForm, template="unlink-provider.html",
            context=_unlink_context)(unlink)
