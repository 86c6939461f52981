"""The connected apps page: the OAuth2 clients the user allowed to use the account (name,
scopes in words, when, last use), and disconnecting one, which revokes that app's tokens;
on :mod:`flask_usercore.oauth2.consents`, as ``/v2/users/self/oauth2/consents``."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from ..errors import N_, NotFound
from ..forms.confirm import ConfirmForm
from ..i18n import gettext as _
from ..oauth2 import consents
from ..oauth2.consents import AuthorizedApp
from .confirm import confirm_page, not_found, show_confirm, signed_in, when
from .framework import PageRequest, PagesBlueprint, deps, go, render


def scope_texts(app: AuthorizedApp) -> list[str]:
    """What each allowed scope lets the app do, in words: the consent page's
    ``SCOPE_TEXT``."""
    from ..oauth2.pages import SCOPE_TEXT  # Authlib: loaded by the first page that shows it

    return [_(str(SCOPE_TEXT[scope])) if scope in SCOPE_TEXT else scope
            for scope in app.scopes]


def _find(page: PageRequest, client_id: str) -> AuthorizedApp:
    for app in consents.list_consents(deps(), signed_in(page).user):
        if app.client_id == client_id:
            return app
    raise NotFound(N_("there is no consent for this client"))


def apps_page(page: PageRequest) -> Response:
    """``GET /apps``: the connected apps, newest consent first."""
    return render("apps.html", apps=consents.list_consents(deps(), signed_in(page).user),
                  scopes=scope_texts, when=when, revoked=request.args.get("revoked"))


def _revoke_context(page: PageRequest) -> dict[str, Any]:
    client_id = str((request.view_args or {}).get("client_id", ""))
    details: list[tuple[str, str]] = []
    try:
        app = _find(page, client_id)
    except NotFound:
        pass
    else:
        details = [(_("App"), app.client_name),
                   (_("It may"), "; ".join(scope_texts(app))),
                   (_("Last used"), when(app.last_used_at))]
    return confirm_page(
        title=_("Disconnect this app"),
        question=_("The app loses its access to your account at once; to use it again, "
                   "you will be asked to allow it again."), details=details,
        action=url_for("usercore_pages.revoke_app_post", client_id=client_id),
        back=url_for("usercore_pages.apps"), form_id="revoke-app-form",
        button=_("Disconnect app"), button_id="revoke-app")


def revoke_app_page(page: PageRequest, client_id: str) -> Response:
    """``GET /apps/<client_id>/revoke``: the confirmation step."""
    try:
        _find(page, client_id)
    except NotFound as exc:
        return not_found(exc)
    return show_confirm(_revoke_context(page))


def revoke_app(page: PageRequest, client_id: str) -> Response:
    """``POST /apps/<client_id>/revoke``: withdraw the consent and revoke the app's
    tokens, as the API's ``DELETE``."""
    consents.withdraw_consent(deps(), signed_in(page).user, client_id)
    return go("usercore_pages.apps", revoked=1)


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/apps", endpoint="apps")(apps_page)
    bp.page("/apps/<client_id>/revoke", endpoint="revoke_app")(revoke_app_page)
    bp.page("/apps/<client_id>/revoke", endpoint="revoke_app_post", methods=("POST",),
            form=ConfirmForm, template="confirm-action.html",
            context=_revoke_context)(revoke_app)
