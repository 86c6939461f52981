"""Passkeys on the account pages (docs/pages.md, docs/passkeys.md): sign in with one, or
answer the second factor with one, from the sign-in page; list, add, rename and remove
them on ``/passkeys``. The same services as the API's passkey operations
(:mod:`flask_usercore.services.passkeys`, :mod:`flask_usercore.services.passkey_login`),
their bodies loaded by the API's own schemas.

The browser's part is ``static/usercore/passkeys.js`` (the pages declare ``script=True``):
it takes the options (the sign-in ones from the API's options operations, a registration's
from the page that made them), calls ``navigator.credentials.get()`` or ``.create()``, puts
the answer into the form's hidden ``credential`` field and sends the form, with its CSRF
token, to the views below. Adding a passkey is two steps: the name (and the current
password unless the session is fresh, as the API's ``fresh`` operations ask), then the
browser's ceremony on the page those options came with.
"""

from __future__ import annotations

import json
from typing import Any, cast

from flask import Response, request
from flask_babel import format_datetime

from .. import i18n
from ..errors import NotFound, UserCoreError
from ..forms.authentication import SignInForm
from ..forms.passkeys import (
    PasskeyAddForm,
    PasskeyDeleteForm,
    PasskeyRenameForm,
    PasskeySecondFactorForm,
    PasskeySignInForm,
)
from ..schemas.passkeys import (
    PasskeyLoginSchema,
    PasskeySecondFactorSchema,
    RegisterPasskeySchema,
    RenamePasskeySchema,
)
from ..services import passkey_login, passkeys, reauth
from ..services.authentication import IssuedSession
from ..services.context import Auth
from ..state import usercore_state
from ..web.loading import client_info
from ..web.transport import set_session_cookie
from .authentication import go_next
from .framework import FormRefused, PageRequest, PagesBlueprint, deps, go, load_form, render


def _session(page: PageRequest) -> Auth:
    """The signed-in visitor's session (the pages that require sign-in)."""
    return cast(Auth, page.auth)


def _answer(raw: str | None) -> Any:
    """The hidden field's JSON (the API's schema then checks that it is an object)."""
    try:
        return json.loads(raw or "")
    except ValueError:
        return raw


def _refusal(form: Any) -> tuple[str, int]:
    """The message and status of a sign-in form that did not validate."""
    if form.errors.get("csrf_token"):
        return i18n.gettext("The form expired or did not come from this site: please send "
                            "it again."), 400
    return next(iter(form.errors.values()))[0], 400


def _sign_in_again(message: str, status: int, *, second_factor: bool = False) -> Response:
    """The sign-in page again, ``message`` above its form (the unit of work rolls back)."""
    form = SignInForm(formdata=None)
    if second_factor:
        form.email.data = request.form.get("email", "")
        form.multiFactorCode.flags.required = True
    return render("sign-in.html", status=status, script=True, form=form, errors=[message])


def _signed_in(issued: IssuedSession) -> Response:
    response = go_next()
    set_session_cookie(response, deps().config, issued.token, issued.expires)
    return response


def passkey_sign_in(page: PageRequest) -> Response:
    """``POST /sign-in/passkey``: the browser's answer to the options of
    ``POST /v2/authenticate-passkey/options``; a session and its cookie, then ``next``."""
    form = PasskeySignInForm()
    if not form.validate_on_submit():
        return _sign_in_again(*_refusal(form))
    try:
        command = load_form(PasskeyLoginSchema, {"credential": _answer(form.credential.data)})
        issued = passkey_login.authenticate(deps(), command, client_info())
    except UserCoreError as exc:
        return _sign_in_again(exc.message, exc.status)
    return _signed_in(issued)


def passkey_second_factor(page: PageRequest) -> Response:
    """``POST /sign-in/passkey-second-factor``: the second factor of an MFA sign-in with a
    passkey (the options of ``POST /v2/authenticate-mfa-passkey/options``), the rules of
    ``POST /v2/authenticate-mfa-passkey``; the password comes with the passkey, as the
    sign-in form sends it with the code (no first factor remembered)."""
    form = PasskeySecondFactorForm()
    if not form.validate_on_submit():
        return _sign_in_again(*_refusal(form), second_factor=True)
    try:
        command = load_form(PasskeySecondFactorSchema, {
            "email": (form.email.data or "").strip(), "password": form.password.data,
            "credential": _answer(form.credential.data)})
        issued = passkey_login.authenticate_second_factor(deps(), command, client_info(),
                                                          remembered=False)
    except UserCoreError as exc:
        return _sign_in_again(exc.message, exc.status, second_factor=True)
    return _signed_in(issued)


def _when(value: Any) -> str:
    return format_datetime(value, "medium") if value is not None else i18n.gettext("never")


def _list_context(page: PageRequest) -> dict[str, Any]:
    """The passkeys page's context: the user's passkeys, whether passkeys are on, whether
    adding one needs the password."""
    rows = [{"id": str(p.id), "name": p.name, "created": _when(p.created_at),
             "last_used": _when(p.last_used_at), "synced": p.backup_eligible}
            for p in passkeys.user_passkeys(deps(), page.user.id)]
    return {"passkeys": rows,
            "configured": usercore_state().config.passkey_relying_party is not None,
            "needs_password": not reauth.is_fresh(deps(), _session(page))}


def passkeys_page(page: PageRequest) -> Response:
    """``GET /passkeys``: the user's passkeys and the form that adds one."""
    return render("passkeys.html", form=PasskeyAddForm(formdata=None), errors=[],
                  **_list_context(page))


def _name(form: PasskeyAddForm) -> dict[str, Any]:
    """The body's optional ``name``: left out when the field is empty."""
    return {"name": form.name.data} if form.name.data else {}


def passkey_options(page: PageRequest) -> Response:
    """``POST /passkeys/new``: the name checked by the API's schema, recent authentication
    (the password, unless the session is fresh), then the options of
    ``navigator.credentials.create()`` on the page that asks the browser for the passkey."""
    form: PasskeyAddForm = page.form
    reauth.require_recent(deps(), _session(page), form.password.data or None,
                          field="password")
    load_form(RegisterPasskeySchema, {"credential": {}, **_name(form)})
    options = passkeys.registration_options(deps(), _session(page))
    return render("passkey-create.html", script=True, form=form, errors=[],
                  options=json.dumps(options))


def create_passkey(page: PageRequest) -> Response:
    """``POST /passkeys``: the browser's answer; the passkey stored (the rules of
    ``POST /v2/users/self/passkeys``, a fresh session included)."""
    form: PasskeyAddForm = page.form
    if not form.credential.data:
        raise FormRefused(i18n.gettext("Your browser gave no passkey: passkeys need "
                                       "JavaScript and a browser that supports them."))
    reauth.require_recent(deps(), _session(page), None)
    command = load_form(RegisterPasskeySchema, {"credential": _answer(form.credential.data),
                                                **_name(form)})
    passkeys.register(deps(), _session(page), command)
    return go("usercore_pages.passkeys", added=1)


def _passkey_context(page: PageRequest, *, rename: Any = None,
                     delete: Any = None) -> dict[str, Any]:
    passkey_id = (request.view_args or {}).get("passkey_id", "")
    try:
        passkey = passkeys.get_passkey(deps(), page.user, passkey_id)
    except NotFound:
        passkey = None
    if rename is None:
        rename = PasskeyRenameForm(formdata=None,
                                   data={"name": passkey.name if passkey is not None else ""})
    return {"passkey": passkey, "rename_form": rename,
            "delete_form": PasskeyDeleteForm(formdata=None) if delete is None else delete,
            "created": _when(passkey.created_at) if passkey is not None else "",
            "last_used": _when(passkey.last_used_at) if passkey is not None else ""}


def passkey_page(page: PageRequest, passkey_id: str) -> Response:
    """``GET /passkeys/<id>``: rename or remove one passkey (404 when not the user's)."""
    context = _passkey_context(page)
    if context["passkey"] is None:
        return render("error.html", status=404, message=i18n.gettext("No such passkey."))
    return render("passkey.html", form=None, errors=[], **context)


def rename_passkey(page: PageRequest, passkey_id: str) -> Response:
    """``POST /passkeys/<id>/rename``: the rules of ``PUT /v2/users/self/passkeys/{id}``."""
    form: PasskeyRenameForm = page.form
    passkeys.rename(deps(), page.user, passkey_id,
                    load_form(RenamePasskeySchema, {"name": form.name.data}))
    return go("usercore_pages.passkeys", renamed=1)


def remove_passkey(page: PageRequest, passkey_id: str) -> Response:
    """``POST /passkeys/<id>/delete`` (confirmed): the rules of
    ``DELETE /v2/users/self/passkeys/{id}``."""
    passkeys.remove(deps(), page.user, passkey_id)
    return go("usercore_pages.passkeys", removed=1)


def _sign_in_context() -> dict[str, Any]:
    """What the sign-in page's passkey part needs: whether passkeys are configured."""
    return {"passkeys_on": usercore_state().config.passkey_relying_party is not None}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page_context(_sign_in_context)
    bp.page("/sign-in/passkey", endpoint="passkey_sign_in", methods=("POST",),
            signed_in=False, rate_limit_group="login", script=True)(passkey_sign_in)
    bp.page("/sign-in/passkey-second-factor", endpoint="passkey_second_factor",
            methods=("POST",), signed_in=False, rate_limit_group="login",
            script=True)(passkey_second_factor)
    bp.page("/passkeys", endpoint="passkeys")(passkeys_page)
    bp.page("/passkeys/new", endpoint="passkey_options", methods=("POST",),
            form=PasskeyAddForm, template="passkeys.html", context=_list_context,
            script=True)(passkey_options)
    bp.page("/passkeys", endpoint="create_passkey", methods=("POST",), form=PasskeyAddForm,
            template="passkeys.html", context=_list_context)(create_passkey)
    bp.page("/passkeys/<passkey_id>", endpoint="passkey")(passkey_page)
    bp.page("/passkeys/<passkey_id>/rename", endpoint="rename_passkey", methods=("POST",),
            form=PasskeyRenameForm, template="passkey.html",
            context=lambda page: _passkey_context(page, rename=page.form))(rename_passkey)
    bp.page("/passkeys/<passkey_id>/delete", endpoint="remove_passkey", methods=("POST",),
            form=PasskeyDeleteForm, template="passkey.html",
            context=lambda page: _passkey_context(page, delete=page.form))(remove_passkey)
