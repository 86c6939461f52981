"""Resetting a forgotten password, on
:func:`flask_usercore.services.password_reset.init_password_reset` and
:func:`~flask_usercore.services.password_reset.confirm_password_reset` (the rules, limits
and mail throttle of ``POST .../actions/init-password-reset`` and ``POST
.../password/confirm-reset``). As the API does, the page answers the same, as fast,
whether or not an account has the address: the token and its mail are made after the
answer was sent."""

from __future__ import annotations

from flask import Response, request

from ..forms.password_reset import ForgotPasswordForm, ResetPasswordForm
from ..schemas.passwords import ConfirmPasswordResetSchema, InitPasswordResetSchema
from ..services import password_reset, throttle
from ..web.operation import after_response
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render


def forgot_page(page: PageRequest) -> Response:
    """``GET /password/forgot``: the form (``?sent=1``: the mail is on its way)."""
    return render("forgot-password.html", form=ForgotPasswordForm(), errors=[])


def forgot(page: PageRequest) -> Response:
    """``POST /password/forgot``: counted against the mail throttle of the address, then
    the same answer for every address; the reset mail is made after it."""
    form: ForgotPasswordForm = page.form
    command = load_form(InitPasswordResetSchema, {"email": form.email.data})
    throttle.throttle_mail(deps(), recipient=command.email)
    response = go("usercore_pages.forgot_password", sent=1)
    after_response(response, lambda the_deps: password_reset.init_password_reset(
        the_deps, command.email))
    return response


def reset_page(page: PageRequest) -> Response:
    """``GET /password/reset``: the form, the account and the code from the mail's link
    (``?done=1``: the password is set)."""
    values = {name: request.args.get(name, "")[:64] for name in ("userId", "token")}
    return render("reset-password.html", form=ResetPasswordForm(data=values), errors=[])


def reset(page: PageRequest) -> Response:
    """``POST /password/reset``: the new password (the policy's errors next to its field);
    every session of the account ends."""
    form: ResetPasswordForm = page.form
    command = load_form(ConfirmPasswordResetSchema, {
        "userId": form.userId.data, "token": form.token.data, "password": form.password.data})
    password_reset.confirm_password_reset(deps(), user_id=command.user_id,
                                          token=command.token, password=command.password)
    return go("usercore_pages.reset_password", done=1)


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/password/forgot", endpoint="forgot_password", signed_in=False)(forgot_page)
    bp.page("/password/forgot", endpoint="forgot_password_post", methods=("POST",),
            signed_in=False, form=ForgotPasswordForm, template="forgot-password.html",
            rate_limit_group="credentials")(forgot)
    bp.page("/password/reset", endpoint="reset_password", signed_in=False)(reset_page)
    bp.page("/password/reset", endpoint="reset_password_post", methods=("POST",),
            signed_in=False, form=ResetPasswordForm, template="reset-password.html",
            rate_limit_group="credentials")(reset)
