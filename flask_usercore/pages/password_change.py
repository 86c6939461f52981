"""Changing the password, on
:func:`flask_usercore.services.password_change.change_password` (the rules of
``PUT /v2/users/self/credentials/password``: the current password, the policy, the second
factor; every other session ends and this one is replaced by a new one)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response

from ..errors import SecondFactorRequired
from ..forms.password_change import ChangePasswordForm
from ..i18n import gettext as _
from ..schemas.passwords import ChangePasswordSchema
from ..services import password_change
from ..services.context import Auth
from ..web.loading import client_info
from ..web.transport import set_session_cookie
from .framework import FormRefused, PageRequest, PagesBlueprint, deps, go, load_form, render


def code_required() -> FormRefused:
    """The refusal of a form sent without the code an account with MFA on needs (the
    service's 202 ``SecondFactorRequired``)."""
    return FormRefused(_("Enter a code from your authenticator app, or a recovery code."),
                       field="multiFactorCode")


def with_code(form: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` and the form's ``multiFactorCode`` when one was typed in (as the API's
    body leaves it out)."""
    code = (form.multiFactorCode.data or "").strip()
    return {**values, "multiFactorCode": code} if code else values


def password_page(page: PageRequest) -> Response:
    """``GET /password``: the form (with the code field when MFA is on)."""
    return render("password.html", form=ChangePasswordForm(), errors=[],
                  **_context(page))


def change_password(page: PageRequest) -> Response:
    """``POST /password``: the API's schema loads the values, the service changes the
    password and starts a new session, whose cookie replaces this one."""
    form: ChangePasswordForm = page.form
    command = load_form(ChangePasswordSchema, with_code(form, {
        "oldPassword": form.oldPassword.data, "newPassword": form.newPassword.data}))
    try:
        issued = password_change.change_password(deps(), cast(Auth, page.auth), command,
                                                 client=client_info())
    except SecondFactorRequired:
        raise code_required() from None
    response = go("usercore_pages.password", saved=1)
    set_session_cookie(response, deps().config, issued.token, issued.expires)
    return response


def _context(page: PageRequest) -> dict[str, Any]:
    return {"mfa": page.user.mfa_active}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/password", endpoint="password")(password_page)
    bp.page("/password", endpoint="password_post", methods=("POST",), form=ChangePasswordForm,
            template="password.html", context=_context)(change_password)
