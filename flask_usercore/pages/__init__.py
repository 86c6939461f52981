"""The account pages (docs/pages.md): server-rendered HTML on the same services as the API.

``UserCore(app, db=db, pages=True)`` or ``USERCORE_PAGES = True`` mounts them at
``USERCORE_PAGES_PREFIX`` (``/account``). Each capability has its module here, named as
in every other layer; :func:`create_pages_blueprint` gathers them. The templates live under
``usercore/pages/`` (a host overrides one by a template of the same name in its own
templates folder, or the whole layout, ``usercore/pages/_base.html``).
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask

from ..state import usercore_state
from . import (
    account,
    api_tokens,
    authentication,
    consents,
    email_change,
    identities,
    mfa,
    passkeys,
    password_change,
    password_reset,
    registration,
    rendering,
    sessions,
    ssh_keys,
    users,
)
from .framework import PagesBlueprint

#: The modules whose views make up the pages, in registration order.
MODULES = (authentication, registration, password_reset, users, password_change,
           email_change, mfa, passkeys, identities, sessions, api_tokens, ssh_keys, consents,
           account)


def create_pages_blueprint(name: str = "usercore_pages") -> Blueprint:
    """A blueprint of every account page, our templates and our style sheet.

    Register it yourself (``app.register_blueprint(bp, url_prefix="/account")``) when the
    extension does not (``USERCORE_PAGES`` off).
    """
    bp = PagesBlueprint(name, __name__, template_folder="../templates",
                        static_folder="../static/usercore", static_url_path="/static")
    for module in MODULES:
        module.register(bp)
    bp.add_app_template_global(rendering.render_input, "usercore_input")
    bp.add_app_template_global(rendering.render_label, "usercore_label")
    bp.add_app_template_global(rendering.render_field, "usercore_field")
    bp.add_app_template_global(rendering.render_errors, "usercore_form_errors")
    # the mails link to these pages where they are mounted (a host's own links win)
    bp.record(lambda setup: usercore_state(cast(Flask, setup.app)).deps.mails.links.use_pages(
        setup.url_prefix or ""))
    return bp
