"""What the pages of a user's credentials (sessions, API tokens, SSH keys, connected
apps) share: the confirmation step of a removal, the recent sign-in of a change the API
declares ``fresh``, and how a moment is shown."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from babel.dates import format_datetime
from flask import Response
from flask_babel import get_locale

from ..errors import NotFound, ReauthenticationRequired
from ..forms.confirm import ConfirmForm
from ..i18n import gettext as _
from ..services import reauth
from ..services.context import Auth
from .framework import FormRefused, PageRequest, deps, render


def signed_in(page: PageRequest) -> Auth:
    """The visitor's session on a page that requires sign-in."""
    return cast(Auth, page.auth)


def when(value: dt.datetime | None) -> str:
    """``value`` as the page's language writes a moment, in UTC; "never" for None."""
    if value is None:
        return _("never")
    locale = get_locale() or "en"
    return _("%(moment)s UTC", moment=format_datetime(value, "medium", tzinfo=dt.UTC,
                                                     locale=locale))


def require_recent(page: PageRequest, password: str | None) -> None:
    """The check of the API's ``fresh=True`` operations
    (:func:`flask_usercore.services.reauth.require_recent`): the form's current
    ``password``, or none while the sign-in is recent. A wrong one is shown next to the
    password field; a missing one when the sign-in is not recent too."""
    try:
        reauth.require_recent(deps(), signed_in(page), password or None, field="password")
    except ReauthenticationRequired as exc:
        raise FormRefused(_("You signed in more than %(minutes)s minutes ago: enter your "
                            "current password to confirm this change.",
                            minutes=reauth_minutes()),
                          field="password", status=exc.status) from None


def reauth_minutes() -> int:
    """How many minutes a sign-in counts as recent (``USERCORE_REAUTH_MAX_AGE``)."""
    return max(1, deps().config.reauth_max_age // 60)


def confirm_page(*, title: str, question: str, details: list[tuple[str, str]],
                 action: str, back: str, form_id: str, button: str,
                 button_id: str) -> dict[str, Any]:
    """The context of ``confirm-action.html``: what is about to be removed, and the form
    that confirms it (:class:`~flask_usercore.forms.confirm.ConfirmForm`)."""
    return {"title": title, "question": question, "details": details, "action": action,
            "back": back, "form_id": form_id, "button": button, "button_id": button_id}


def show_confirm(context: dict[str, Any]) -> Response:
    """``GET`` of a confirmation step: the page with a new form."""
    return render("confirm-action.html", form=ConfirmForm(), errors=[], **context)


def not_found(exc: NotFound) -> Response:
    """The page of an unknown or foreign item (404)."""
    return render("error.html", status=exc.status, message=exc.message)
