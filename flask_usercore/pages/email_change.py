"""Changing the e-mail address, on :mod:`flask_usercore.services.email_change` (the rules
of ``PUT /v2/users/self/credentials/email``: the current password, the mail limits; then
``.../actions/verify-email`` from the mail's link, and ``.../actions/resend-email``)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, request

from ..forms.email_change import ChangeEmailForm, ConfirmEmailForm, ResendEmailForm
from ..i18n import gettext as _
from ..schemas.email_change import ChangeEmailSchema
from ..services import email_change, reauth, throttle
from ..services.context import Auth
from .framework import FormRefused, PageRequest, PagesBlueprint, deps, go, load_form, render


def email_page(page: PageRequest) -> Response:
    """``GET /email``: the address, the change waiting for its confirmation, the form."""
    return render("email.html", errors=[], **_context(page))


def change_email(page: PageRequest) -> Response:
    """``POST /email``: as the API, the password (a recent sign-in), the mail limits, then
    the service mails a code and link to the new address."""
    form: ChangeEmailForm = page.form
    command = load_form(ChangeEmailSchema, {"email": (form.email.data or "").strip(),
                                            "password": form.password.data})
    auth = cast(Auth, page.auth)
    reauth.require_recent(deps(), auth, command.password, field="password")
    throttle.throttle_mail(deps(), recipient=command.email, account=auth.user.id)
    email_change.request_email_change(deps(), auth, email=command.email)
    return go("usercore_pages.email", sent=1)


def resend_email(page: PageRequest) -> Response:
    """``POST /email/resend``: a new code and link to the address waiting for its
    confirmation (the API's resend, its limits)."""
    user = page.user
    address = email_change.pending_email(deps(), user) or user.email
    throttle.throttle_mail(deps(), recipient=address, account=user.id)
    email_change.resend_verification(deps(), user_id=user.id, email=address)
    return go("usercore_pages.email", sent=1)


def confirm_page(page: PageRequest) -> Response:
    """``GET /email/confirm?userId=...&token=...``: the mail's link shows a button; only its
    POST changes anything."""
    form = ConfirmEmailForm(data={"userId": request.args.get("userId", ""),
                                  "token": request.args.get("token", "")})
    return render("email-confirm.html", form=form, errors=[], **_confirm_context(page))


def confirm_email(page: PageRequest) -> Response:
    """``POST /email/confirm``: the service swaps in the pending address when the token is
    its code (and ends the other sessions)."""
    form: ConfirmEmailForm = page.form
    user = page.user
    if form.userId.data != str(user.id):
        raise FormRefused(_("This link is for another account: sign out, open the link again "
                            "and sign in with the account whose address changes."), status=403)
    address = email_change.pending_email(deps(), user) or user.email
    email_change.verify_email_change(deps(), cast(Auth, page.auth), email=address,
                                     token=form.token.data)
    return go("usercore_pages.email", confirmed=1)


def _context(page: PageRequest) -> dict[str, Any]:
    """The page's two forms (the one sent, with its errors), the address and the pending
    one."""
    user, sent = page.user, page.form
    return {"user": user, "pending": email_change.pending_email(deps(), user),
            "change": sent if isinstance(sent, ChangeEmailForm) else ChangeEmailForm(),
            "resend": sent if isinstance(sent, ResendEmailForm) else ResendEmailForm()}


def _confirm_context(page: PageRequest) -> dict[str, Any]:
    return {"pending": email_change.pending_email(deps(), page.user)}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/email", endpoint="email")(email_page)
    bp.page("/email", endpoint="email_post", methods=("POST",), form=ChangeEmailForm,
            template="email.html", context=_context)(change_email)
    bp.page("/email/resend", endpoint="email_resend", methods=("POST",),
            form=ResendEmailForm, template="email.html", rate_limit_group="credentials",
            context=_context)(resend_email)
    bp.page("/email/confirm", endpoint="email_confirm")(confirm_page)
    bp.page("/email/confirm", endpoint="email_confirm_post", methods=("POST",),
            form=ConfirmEmailForm, template="email-confirm.html",
            rate_limit_group="credentials", context=_confirm_context)(confirm_email)
