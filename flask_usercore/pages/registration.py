"""Signing up and verifying the e-mail address, on
:func:`flask_usercore.services.registration.register` and
:func:`~flask_usercore.services.registration.verify_registration` (the rules and limits of
``POST /v2/register`` and ``POST /v2/verify-registration``), and sending the mail again on
:func:`flask_usercore.services.email_change.resend_verification` (``POST
.../email/actions/resend-email``, its mail throttle included)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..forms.registration import ResendEmailForm, SignUpForm, VerifyEmailForm
from ..schemas.email_change import ResendEmailSchema
from ..schemas.registration import RegisterSchema, VerifyRegistrationSchema
from ..services import email_change, registration, throttle
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render


def sign_up_page(page: PageRequest) -> Response:
    """``GET /sign-up``: the form; a signed-in visitor goes to the account's start page."""
    if page.auth is not None:
        return go("usercore_pages.home")
    return render("sign-up.html", form=SignUpForm(), errors=[])


def sign_up(page: PageRequest) -> Response:
    """``POST /sign-up``: the API's schema loads the values, the service makes the account
    and mails its code; then the page that asks for it."""
    form: SignUpForm = page.form
    command = load_form(RegisterSchema, {
        "email": form.email.data, "password": form.password.data,
        "person": {"firstName": form.firstName.data, "lastName": form.lastName.data}})
    user = registration.register(deps(), command)
    return go("usercore_pages.verify_email", userId=str(user.id), sent=1)


def _from_query() -> dict[str, str]:
    """The mail link's values (``userId``, ``email``, ``token``) from the query."""
    return {name: request.args.get(name, "")[:254] for name in ("userId", "email", "token")}


def verify_email_page(page: PageRequest) -> Response:
    """``GET /verify-email``: the form filled in from the mail's link (nothing changes on
    a GET: its button sends it), and the form that sends the mail again."""
    values = _from_query()
    return render("verify-email.html", form=VerifyEmailForm(data=values), errors=[],
                  resend=ResendEmailForm(data=values))


def verify_email(page: PageRequest) -> Response:
    """``POST /verify-email``: the account is verified; then the page says so."""
    form: VerifyEmailForm = page.form
    command = load_form(VerifyRegistrationSchema, {
        "userId": form.userId.data, "email": form.email.data, "token": form.token.data})
    registration.verify_registration(deps(), user_id=command.user_id, email=command.email,
                                     token=command.token)
    return go("usercore_pages.verify_email", verified=1)


def resend_email(page: PageRequest) -> Response:
    """``POST /verify-email/resend``: a new code for the account's pending address
    (counted per recipient and account, as the API counts it); then the page that asks
    for it."""
    form: ResendEmailForm = page.form
    command = load_form(ResendEmailSchema, {"userId": form.userId.data,
                                            "email": form.email.data})
    throttle.throttle_mail(deps(), recipient=command.email, account=command.user_id)
    email_change.resend_verification(deps(), user_id=command.user_id, email=command.email)
    return go("usercore_pages.verify_email", userId=str(command.user_id), sent=1)


def _verify_context(page: PageRequest) -> dict[str, Any]:
    form: VerifyEmailForm = page.form
    return {"resend": ResendEmailForm(formdata=None, data={"userId": form.userId.data,
                                                           "email": form.email.data})}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/sign-up", endpoint="sign_up", signed_in=False)(sign_up_page)
    bp.page("/sign-up", endpoint="sign_up_post", methods=("POST",), signed_in=False,
            form=SignUpForm, template="sign-up.html",
            rate_limit_group="registration")(sign_up)
    bp.page("/verify-email", endpoint="verify_email", signed_in=False)(verify_email_page)
    bp.page("/verify-email", endpoint="verify_email_post", methods=("POST",),
            signed_in=False, form=VerifyEmailForm, template="verify-email.html",
            rate_limit_group="registration", context=_verify_context)(verify_email)
    bp.page("/verify-email/resend", endpoint="resend_email", methods=("POST",),
            signed_in=False, form=ResendEmailForm, template="resend-email.html",
            rate_limit_group="credentials")(resend_email)
