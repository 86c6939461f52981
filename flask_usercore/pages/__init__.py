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
from . import authentication, identities, passkeys, password_reset, registration, users
from .framework import PagesBlueprint

#: The modules whose views make up the pages, in registration order.
MODULES = (authentication, users, passkeys, registration, password_reset, identities)


def create_pages_blueprint(name: str = "usercore_pages") -> Blueprint:
    """A blueprint of every account page, our templates and our style sheet.

    Register it yourself (``app.register_blueprint(bp, url_prefix="/account")``) when the
    extension does not (``USERCORE_PAGES`` off).
    """
    bp = PagesBlueprint(name, __name__, template_folder="../templates",
                        static_folder="../static/usercore", static_url_path="/static")
    for module in MODULES:
        module.register(bp)
    # the mails link to these pages where they are mounted (a host's own links win)
    bp.record(lambda setup: usercore_state(cast(Flask, setup.app)).deps.mails.links.use_pages(
        setup.url_prefix or ""))
    return bp
