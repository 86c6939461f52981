"""Two-factor authentication, on :mod:`flask_usercore.services.mfa_setup` (the rules of
``.../credentials/init-mfa`` and ``.../credentials/mfa``): set it up with a QR code (the
password first: a recent sign-in), confirm it with a code, its recovery codes shown once,
replace the recovery codes, turn it off."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from flask import Response

from ..forms.mfa import ConfirmMfaForm, DisableMfaForm, RecoveryCodesForm, SetUpMfaForm
from ..schemas.mfa import MultiFactorCodeSchema
from ..services import mfa_setup, reauth
from ..services.context import Auth
from .framework import PageRequest, PagesBlueprint, deps, go, load_form, render

#: The page's forms, by the name its template knows them.
FORMS = {"setup": SetUpMfaForm, "confirm": ConfirmMfaForm, "codes": RecoveryCodesForm,
         "disable": DisableMfaForm}


def mfa_page(page: PageRequest) -> Response:
    """``GET /mfa``: whether MFA is on, and the forms that fit."""
    return render("mfa.html", errors=[], **_context(page))


def set_up(page: PageRequest) -> Response:
    """``POST /mfa/set-up``: the password (a recent sign-in, as the API's ``fresh``), then a
    new seed: its QR code and its text, shown in this answer only, and the form that
    confirms it."""
    form: SetUpMfaForm = page.form
    reauth.require_recent(deps(), cast(Auth, page.auth), form.password.data or "",
                          field="password")
    setup = mfa_setup.init_mfa(deps(), page.user)
    return render("mfa-set-up.html", setup=setup, secret=_secret(setup.url),
                  confirm=ConfirmMfaForm(formdata=None), errors=[])


def confirm(page: PageRequest) -> Response:
    """``POST /mfa/confirm``: MFA goes on; the recovery codes, shown in this answer only."""
    form: ConfirmMfaForm = page.form
    command = load_form(MultiFactorCodeSchema, {"multiFactorCode": _code(form)})
    reauth.require_recent(deps(), cast(Auth, page.auth), None)
    codes = mfa_setup.confirm_mfa(deps(), page.user, command.multi_factor_code)
    return render("recovery-codes.html", codes=codes, enabled=True)


def recovery_codes(page: PageRequest) -> Response:
    """``POST /mfa/recovery-codes``: new recovery codes replace the old ones, shown in this
    answer only."""
    form: RecoveryCodesForm = page.form
    command = load_form(MultiFactorCodeSchema, {"multiFactorCode": _code(form)})
    codes = mfa_setup.regenerate_recovery_codes(deps(), page.user, command.multi_factor_code)
    return render("recovery-codes.html", codes=codes, enabled=False)


def disable(page: PageRequest) -> Response:
    """``POST /mfa/disable``: MFA goes off (or a set-up not confirmed is cancelled)."""
    form: DisableMfaForm = page.form
    command = load_form(MultiFactorCodeSchema, {"multiFactorCode": _code(form)})
    mfa_setup.disable_mfa(deps(), page.user, command.multi_factor_code)
    return go("usercore_pages.mfa", off=1)


def _code(form: Any) -> str:
    return str(form.multiFactorCode.data or "").strip()


def _secret(url: str) -> str:
    """The seed of an ``otpauth://`` URI, in groups of four for typing it in."""
    secret = parse_qs(urlsplit(url).query).get("secret", [""])[0]
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _context(page: PageRequest) -> dict[str, Any]:
    """The MFA status and the page's forms (the one sent, with its errors)."""
    sent = page.form
    forms = {name: sent if isinstance(sent, form) else form() for name, form in FORMS.items()}
    return {"mfa_status": mfa_setup.mfa_status(page.user), "user": page.user, **forms}


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/mfa", endpoint="mfa")(mfa_page)
    for rule, endpoint, form, view, group in (
            ("/mfa/set-up", "mfa_set_up", SetUpMfaForm, set_up, None),
            ("/mfa/confirm", "mfa_confirm", ConfirmMfaForm, confirm, "mfa"),
            ("/mfa/recovery-codes", "mfa_recovery_codes", RecoveryCodesForm, recovery_codes,
             "mfa"),
            ("/mfa/disable", "mfa_disable", DisableMfaForm, disable, "mfa")):
        bp.page(rule, endpoint=endpoint, methods=("POST",), form=form, template="mfa.html",
                rate_limit_group=group, context=_context)(view)
