"""The API tokens page: list, create (the new token shown once, in the answer to the
POST), edit, delete; on :mod:`flask_usercore.services.api_tokens` and the API's schemas,
as ``/v2/users/self/api-tokens`` (creating one needs a recent sign-in, as the API's
``fresh`` operation)."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from ..errors import NotFound
from ..forms.api_tokens import ApiTokenCreateForm, ApiTokenEditForm
from ..forms.confirm import ConfirmForm, expiry_value, expiry_wire
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import ADMIN_PERMISSION
from ..schemas.api_tokens import ADMIN_ROLE, ROLES, ApiTokenCreateSchema, ApiTokenEditSchema
from ..services import api_tokens
from ..services.api_tokens import ApiTokenInfo
from .confirm import (
    confirm_page,
    not_found,
    reauth_minutes,
    require_recent,
    show_confirm,
    signed_in,
    when,
)
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render

#: What each role lets a token do, in words.
ROLE_TEXT = {"api_read": _l("Read (safe requests only)"),
             "api_write": _l("Read and write"),
             ADMIN_ROLE: _l("Use the admin API")}
#: The most tokens a page lists (the service's limit of live ones is lower).
LISTED = 500


def role_choices(page: PageRequest) -> list[tuple[str, str]]:
    """The roles the user may give a token: the admin role only to a holder of its
    permission (the service refuses it to others)."""
    roles = list(ROLES)
    if signed_in(page).user.has_permission(ADMIN_PERMISSION):
        roles.append(ADMIN_ROLE)
    return [(role, str(ROLE_TEXT[role])) for role in roles]


def roles_text(info: ApiTokenInfo) -> str:
    """The token's roles in words."""
    return ", ".join(str(ROLE_TEXT.get(role, role)) for role in info.roles)


def _wire(form: ApiTokenEditForm, **more: Any) -> dict[str, Any]:
    body = {"description": form.description.data or "", **more}
    expires = expiry_wire(form.expiresAt.data)
    if expires is not None:
        body["expiresAt"] = expires
    return body


def _list_context(page: PageRequest) -> dict[str, Any]:
    if page.form is not None and hasattr(page.form, "roles"):
        page.form.roles.choices = role_choices(page)
    tokens, _total = api_tokens.list_api_tokens(deps(), signed_in(page), limit=LISTED, skip=0)
    return {"tokens": tokens, "when": when, "roles": roles_text,
            "reauth_minutes": reauth_minutes(),
            "saved": request.args.get("saved"), "deleted": request.args.get("deleted")}


def api_tokens_page(page: PageRequest) -> Response:
    """``GET /api-tokens``: the tokens and the form of a new one."""
    form = ApiTokenCreateForm()
    return render("api-tokens.html", form=form, errors=[], new_token=None,
                  **_list_context(PageRequest(page.auth, form)))


def create_api_token(page: PageRequest) -> Response:
    """``POST /api-tokens``: the recent sign-in (or the password), the API's schema, the
    service; the answer shows the new token, this once."""
    form: ApiTokenCreateForm = page.form
    require_recent(page, form.password.data)
    command = load_form(ApiTokenCreateSchema, _wire(form, roles=list(form.roles.data or [])))
    token = api_tokens.create_api_token(deps(), signed_in(page), command)
    fresh = ApiTokenCreateForm(formdata=None)
    return render("api-tokens.html", form=fresh, errors=[], new_token=token,
                  **_list_context(PageRequest(page.auth, fresh)))


def _token_id() -> str:
    return str((request.view_args or {}).get("api_token_id", ""))


def _edit_context(page: PageRequest) -> dict[str, Any]:
    return {"api_token_id": _token_id()}


def edit_api_token_page(page: PageRequest, api_token_id: str) -> Response:
    """``GET /api-tokens/<id>/edit``: the form, filled in."""
    try:
        info = api_tokens.get_api_token(deps(), signed_in(page), api_token_id)
    except NotFound as exc:
        return not_found(exc)
    form = ApiTokenEditForm(data={"description": info.description,
                                  "expiresAt": expiry_value(info.expires_at)})
    return render("api-token-edit.html", form=form, errors=[], api_token_id=api_token_id)


def edit_api_token(page: PageRequest, api_token_id: str) -> Response:
    """``POST /api-tokens/<id>/edit``: the API's ``PUT`` (no expiry: none)."""
    command = load_form(ApiTokenEditSchema, _wire(page.form))
    api_tokens.update_api_token(deps(), signed_in(page), api_token_id, command)
    return go("usercore_pages.api_tokens", saved=1)


def _delete_context(page: PageRequest) -> dict[str, Any]:
    token_id = _token_id()
    details: list[tuple[str, str]] = []
    try:
        info = api_tokens.get_api_token(deps(), signed_in(page), token_id)
    except NotFound:
        pass
    else:
        details = [(_("Description"), info.description),
                   (_("Permissions"), roles_text(info)),
                   (_("Last used"), when(info.last_used))]
    return confirm_page(
        title=_("Delete this API token"),
        question=_("Scripts that use this token stop working at once."), details=details,
        action=url_for("usercore_pages.delete_api_token_post", api_token_id=token_id),
        back=url_for("usercore_pages.api_tokens"), form_id="delete-api-token-form",
        button=_("Delete API token"), button_id="delete-api-token")


def delete_api_token_page(page: PageRequest, api_token_id: str) -> Response:
    """``GET /api-tokens/<id>/delete``: the confirmation step."""
    context = _delete_context(page)
    if not context["details"]:  # the item was not found (its details are always shown)
        try:
            api_tokens.get_api_token(deps(), signed_in(page), api_token_id)
        except NotFound as exc:
            return not_found(exc)
    return show_confirm(context)


def delete_api_token(page: PageRequest, api_token_id: str) -> Response:
    """``POST /api-tokens/<id>/delete``: revoke it at once."""
    api_tokens.delete_api_token(deps(), signed_in(page), api_token_id)
    return go("usercore_pages.api_tokens", deleted=1)


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/api-tokens", endpoint="api_tokens")(api_tokens_page)
    bp.page("/api-tokens", endpoint="create_api_token", methods=("POST",),
            form=ApiTokenCreateForm, template="api-tokens.html",
            context=lambda page: {"new_token": None, **_list_context(page)})(create_api_token)
    bp.page("/api-tokens/<api_token_id>/edit", endpoint="edit_api_token")(edit_api_token_page)
    bp.page("/api-tokens/<api_token_id>/edit", endpoint="edit_api_token_post",
            methods=("POST",), form=ApiTokenEditForm, template="api-token-edit.html",
            context=_edit_context)(edit_api_token)
    bp.page("/api-tokens/<api_token_id>/delete",
            endpoint="delete_api_token")(delete_api_token_page)
    bp.page("/api-tokens/<api_token_id>/delete", endpoint="delete_api_token_post",
            methods=("POST",), form=ConfirmForm, template="confirm-action.html",
            context=_delete_context)(delete_api_token)
