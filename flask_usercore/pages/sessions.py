"""The sessions page: the user's sessions (device, place, last use, this one marked), end
one, end all others; on :mod:`flask_usercore.services.sessions`, as
``/v2/users/self/sessions``."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from ..errors import NotFound
from ..forms.confirm import ConfirmForm
from ..i18n import gettext as _
from ..services import sessions
from ..services.sessions import SessionInfo
from ..web.transport import clear_session_cookie
from .confirm import confirm_page, not_found, show_confirm, signed_in, when
from .framework import PageRequest, PagesBlueprint, deps, go, render

#: The most sessions a page lists ("end all other sessions" ends the rest too).
LISTED = 500


def device_text(info: SessionInfo) -> str:
    """The session's device in words: "Firefox on Ubuntu", else what is known of it."""
    device = info.device
    browser, system = device.get("browser"), device.get("os")
    if browser and system:
        return _("%(browser)s on %(os)s", browser=browser, os=system)
    return browser or system or device.get("model") or _("Unknown device")


def place_text(info: SessionInfo) -> str:
    """Where the session was started: city, country and address, as far as known."""
    where = info.location
    if where is None:
        return _("Unknown")
    return ", ".join(part for part in (where.city, where.country, where.ip_address) if part)


def sessions_page(page: PageRequest) -> Response:
    """``GET /sessions``: every session of the user, newest first."""
    items, _total = sessions.list_sessions(deps(), signed_in(page), limit=LISTED, skip=0)
    return render("sessions.html", sessions=items, current=signed_in(page).credential.id,
                  when=when, device=device_text, place=place_text,
                  ended=request.args.get("ended"))


def _end_context(page: PageRequest) -> dict[str, Any]:
    token_id = (request.view_args or {}).get("token_id", "")
    details: list[tuple[str, str]] = []
    try:
        info = sessions.get_session(deps(), signed_in(page), token_id)
    except NotFound:
        pass
    else:
        details = [(_("Device"), device_text(info)), (_("Place"), place_text(info)),
                   (_("Signed in"), when(info.created)),
                   (_("Last used"), when(info.last_access))]
    return confirm_page(title=_("End this session"),
                        question=_("The device of this session will be signed out."),
                        details=details,
                        action=url_for("usercore_pages.end_session_post", token_id=token_id),
                        back=url_for("usercore_pages.sessions"), form_id="end-session-form",
                        button=_("End session"), button_id="end-session")


def end_session_page(page: PageRequest, token_id: str) -> Response:
    """``GET /sessions/<id>/end``: the confirmation step."""
    try:
        sessions.get_session(deps(), signed_in(page), token_id)
    except NotFound as exc:
        return not_found(exc)
    return show_confirm(_end_context(page))


def end_session(page: PageRequest, token_id: str) -> Response:
    """``POST /sessions/<id>/end``: end it (this one: the visitor is signed out)."""
    sessions.end_session(deps(), signed_in(page), token_id)
    if token_id.lower() == str(signed_in(page).credential.id):
        response = go("usercore_pages.sign_in")
        clear_session_cookie(response, deps().config)
        return response
    return go("usercore_pages.sessions", ended="one")


def _others_context(page: PageRequest) -> dict[str, Any]:
    return confirm_page(title=_("End all other sessions"),
                        question=_("Every device but this one will be signed out."),
                        details=[], action=url_for("usercore_pages.end_other_sessions_post"),
                        back=url_for("usercore_pages.sessions"),
                        form_id="end-other-sessions-form", button=_("End other sessions"),
                        button_id="end-other-sessions")


def end_other_sessions_page(page: PageRequest) -> Response:
    """``GET /sessions/end-others``: the confirmation step."""
    return show_confirm(_others_context(page))


def end_other_sessions(page: PageRequest) -> Response:
    """``POST /sessions/end-others``: end every session but this one."""
    sessions.end_other_sessions(deps(), signed_in(page))
    return go("usercore_pages.sessions", ended="others")


def register(bp: PagesBlueprint) -> None:
    """Add these pages to ``bp``."""
    bp.page("/sessions", endpoint="sessions")(sessions_page)
    bp.page("/sessions/end-others", endpoint="end_other_sessions")(end_other_sessions_page)
    bp.page("/sessions/end-others", endpoint="end_other_sessions_post", methods=("POST",),
            form=ConfirmForm, template="confirm-action.html",
            context=_others_context)(end_other_sessions)
    bp.page("/sessions/<token_id>/end", endpoint="end_session")(end_session_page)
    bp.page("/sessions/<token_id>/end", endpoint="end_session_post", methods=("POST",),
            form=ConfirmForm, template="confirm-action.html",
            context=_end_context)(end_session)
