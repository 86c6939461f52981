"""Signing in and out: the password, then the second factor when the account asks for
it, on :func:`flask_usercore.services.authentication.authenticate` (the rules, limits and
lockout of ``POST /v2/authenticate``)."""

from __future__ import annotations

from flask import Response, request, url_for

from ..forms.authentication import SignInForm, SignOutForm
from ..services import authentication
from ..services.authentication import SecondFactorChallenge
from ..web.loading import client_info
from ..web.transport import clear_session_cookie, set_session_cookie
from .framework import PageRequest, PagesBlueprint, deps, go, render, safe_next


def sign_in(page: PageRequest) -> Response | None:
    """``POST /sign-in``: a session and its cookie, then on to ``next``; the form again
    with the code field when the account has MFA on."""
    form: SignInForm = page.form
    code = (form.multiFactorCode.data or "").strip() or None
    issued = authentication.authenticate(deps(), (form.email.data or "").strip(),
                                         form.password.data or "", client_info(), code,
                                         remember=False)
    if isinstance(issued, SecondFactorChallenge):
        form.multiFactorCode.flags.required = True
        return None  # the form again, now asking for the code
    response = go_next()
    set_session_cookie(response, deps().config, issued.token, issued.expires)
    return response


def go_next() -> Response:
    """A 303 to the ``next`` page of this site, or the account's start page."""
    from flask import redirect

    target = safe_next(request.args.get("next"), url_for("usercore_pages.home"))
    return redirect(target, 303)  # type: ignore[return-value]


def sign_in_page(page: PageRequest) -> Response:
    """``GET /sign-in``: the form; a signed-in visitor goes on to ``next``."""
    if page.auth is not None:
        return go_next()
    form = SignInForm()
    return render("sign-in.html", form=form, errors=[], script=True)


def sign_out(page: PageRequest) -> Response:
    """``POST /sign-out``: end this session (its row and the cookie), then the sign-in
    page."""
    if not SignOutForm().validate_on_submit():  # not from our page: nothing happens
        return go("usercore_pages.home")
    if page.auth is not None:
        authentication.logout(deps(), page.auth)
    response = go("usercore_pages.sign_in")
    clear_session_cookie(response, deps().config)
    return response


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/sign-in", endpoint="sign_in", signed_in=False)(sign_in_page)
    bp.page("/sign-in", endpoint="sign_in_post", methods=("POST",), signed_in=False,
            form=SignInForm, template="sign-in.html", rate_limit_group="login",
            script=True)(sign_in)
    bp.page("/sign-out", endpoint="sign_out", methods=("POST",), signed_in=False)(sign_out)
