"""Deleting the account, on :func:`flask_usercore.services.users.delete_account` (the
rules of ``DELETE /v2/users/self``: the password, the second factor when MFA is on, the
host's rows that refer to the account)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response

from ..errors import SecondFactorRequired
from ..forms.account import DeleteAccountForm
from ..schemas.account import DeleteAccountSchema
from ..services import users
from ..services.context import Auth
from ..web.transport import clear_session_cookie
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render
from .password_change import code_required, with_code


def delete_page(page: PageRequest) -> Response:
    """``GET /delete``: the form (the password, the code when MFA is on, a checkbox)."""
    return render("delete.html", form=DeleteAccountForm(), errors=[], **_context(page))


def delete_account(page: PageRequest) -> Response:
    """``POST /delete``: the service deletes the account and all its rows; the cookie
    goes, and the visitor sees that it is done."""
    form: DeleteAccountForm = page.form
    command = load_form(DeleteAccountSchema, with_code(form, {"password": form.password.data}))
    try:
        users.delete_account(deps(), cast(Auth, page.auth), command)
    except SecondFactorRequired:
        raise code_required() from None
    response = go("usercore_pages.deleted")
    clear_session_cookie(response, deps().config)
    return response


def deleted(page: PageRequest) -> Response:
    """``GET /deleted``: the account is gone."""
    return render("deleted.html")


def _context(page: PageRequest) -> dict[str, Any]:
    return {"mfa": page.user.mfa_active}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/delete", endpoint="delete")(delete_page)
    bp.page("/delete", endpoint="delete_post", methods=("POST",), form=DeleteAccountForm,
            template="delete.html", context=_context)(delete_account)
    bp.page("/deleted", endpoint="deleted", signed_in=False)(deleted)
