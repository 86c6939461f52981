"""The SSH keys page: list, add (the API's key checks, their errors next to the field),
edit the comment and expiry, delete; on :mod:`flask_usercore.services.ssh_keys` and the
API's schemas, as ``/v2/users/self/ssh-keys`` (adding one needs a recent sign-in, as the
API's ``fresh`` operation)."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from ..errors import NotFound
from ..forms.confirm import ConfirmForm, expiry_value, expiry_wire
from ..forms.ssh_keys import SshKeyAddForm, SshKeyEditForm
from ..i18n import gettext as _
from ..schemas.ssh_keys import CreateSshKeySchema, EditSshKeySchema
from ..services import ssh_keys
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

#: The most keys a page lists (``USERCORE_SSH_KEYS_MAX`` is lower by default).
LISTED = 500


def _wire(form: SshKeyEditForm, **more: Any) -> dict[str, Any]:
    body = {"comment": form.comment.data or "", **more}
    expires = expiry_wire(form.expiresAt.data)
    if expires is not None:
        body["expiresAt"] = expires
    return body


def _list_context(page: PageRequest) -> dict[str, Any]:
    keys, _total = ssh_keys.list_keys(deps(), signed_in(page).user, limit=LISTED, skip=0)
    return {"keys": keys, "when": when, "reauth_minutes": reauth_minutes(),
            "added": request.args.get("added"), "saved": request.args.get("saved"),
            "deleted": request.args.get("deleted")}


def ssh_keys_page(page: PageRequest) -> Response:
    """``GET /ssh-keys``: the keys and the form of a new one."""
    return render("ssh-keys.html", form=SshKeyAddForm(), errors=[], **_list_context(page))


def add_ssh_key(page: PageRequest) -> Response:
    """``POST /ssh-keys``: the recent sign-in (or the password), the API's schema and the
    service's key checks (their errors next to the key field)."""
    form: SshKeyAddForm = page.form
    require_recent(page, form.password.data)
    body = _wire(form, publicKey=form.publicKey.data or "")
    if not body["comment"]:  # no comment: the key line's own
        del body["comment"]
    ssh_keys.add_key(deps(), signed_in(page).user, load_form(CreateSshKeySchema, body))
    return go("usercore_pages.ssh_keys", added=1)


def _key_id() -> str:
    return str((request.view_args or {}).get("ssh_key_id", ""))


def _edit_context(page: PageRequest) -> dict[str, Any]:
    return {"ssh_key_id": _key_id()}


def edit_ssh_key_page(page: PageRequest, ssh_key_id: str) -> Response:
    """``GET /ssh-keys/<id>/edit``: the form, filled in."""
    try:
        key = ssh_keys.get_key(deps(), signed_in(page).user, ssh_key_id)
    except NotFound as exc:
        return not_found(exc)
    form = SshKeyEditForm(data={"comment": key.comment,
                                "expiresAt": expiry_value(key.expires_at)})
    return render("ssh-key-edit.html", form=form, errors=[], ssh_key_id=ssh_key_id)


def edit_ssh_key(page: PageRequest, ssh_key_id: str) -> Response:
    """``POST /ssh-keys/<id>/edit``: the API's ``PUT`` (no expiry: none)."""
    command = load_form(EditSshKeySchema, _wire(page.form))
    ssh_keys.edit_key(deps(), signed_in(page).user, ssh_key_id, command)
    return go("usercore_pages.ssh_keys", saved=1)


def _delete_context(page: PageRequest) -> dict[str, Any]:
    key_id = _key_id()
    details: list[tuple[str, str]] = []
    try:
        key = ssh_keys.get_key(deps(), signed_in(page).user, key_id)
    except NotFound:
        pass
    else:
        details = [(_("Comment"), key.comment), (_("Type"), key.algorithm),
                   (_("Fingerprint (SHA-256)"), key.fingerprint)]
    return confirm_page(
        title=_("Delete this SSH key"),
        question=_("This key no longer lets anyone in."), details=details,
        action=url_for("usercore_pages.delete_ssh_key_post", ssh_key_id=key_id),
        back=url_for("usercore_pages.ssh_keys"), form_id="delete-ssh-key-form",
        button=_("Delete SSH key"), button_id="delete-ssh-key")


def delete_ssh_key_page(page: PageRequest, ssh_key_id: str) -> Response:
    """``GET /ssh-keys/<id>/delete``: the confirmation step."""
    context = _delete_context(page)
    if not context["details"]:  # the item was not found (its details are always shown)
        try:
            ssh_keys.get_key(deps(), signed_in(page).user, ssh_key_id)
        except NotFound as exc:
            return not_found(exc)
    return show_confirm(context)


def delete_ssh_key(page: PageRequest, ssh_key_id: str) -> Response:
    """``POST /ssh-keys/<id>/delete``: remove it."""
    ssh_keys.remove_key(deps(), signed_in(page).user, ssh_key_id)
    return go("usercore_pages.ssh_keys", deleted=1)


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/ssh-keys", endpoint="ssh_keys")(ssh_keys_page)
    bp.page("/ssh-keys", endpoint="add_ssh_key", methods=("POST",), form=SshKeyAddForm,
            template="ssh-keys.html", context=_list_context)(add_ssh_key)
    bp.page("/ssh-keys/<ssh_key_id>/edit", endpoint="edit_ssh_key")(edit_ssh_key_page)
    bp.page("/ssh-keys/<ssh_key_id>/edit", endpoint="edit_ssh_key_post", methods=("POST",),
            form=SshKeyEditForm, template="ssh-key-edit.html",
            context=_edit_context)(edit_ssh_key)
    bp.page("/ssh-keys/<ssh_key_id>/delete", endpoint="delete_ssh_key")(delete_ssh_key_page)
    bp.page("/ssh-keys/<ssh_key_id>/delete", endpoint="delete_ssh_key_post",
            methods=("POST",), form=ConfirmForm, template="confirm-action.html",
            context=_delete_context)(delete_ssh_key)
