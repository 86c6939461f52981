"""The mails the extension sends: Jinja templates with a plain-text and an HTML part.

Every mail ``name`` is three templates under ``usercore/mail/``: ``name.subject.txt``,
``name.txt`` and ``name.html``. They are looked up through the host app's Jinja environment,
so a host overrides one by putting a template of the same name in its own ``templates``
folder (the app's folder is searched before ours, as Flask does for every blueprint).

User-supplied text (names) is escaped in the HTML part (Flask's autoescape for ``.html``) and
passed through the ``oneline`` filter in the text part and the subject, so it cannot break a
line or forge a header.

Every address a mail shows is built here, by :class:`MailLinks`, from the configuration and
never from a request (a ``Host`` header must not choose where a reset link points): the
link of the host's page for the mail (``USERCORE_MAIL_LINKS``, relative ones below
``USERCORE_PUBLIC_URL``), or else the API call to make, under the prefix the API is
mounted at. When the account pages are mounted (docs/pages.md), each mail links to its page
by default (:data:`PAGE_LINKS`); a link the host configured still wins. Templates get
``link`` (the mail's link, or None) and ``api_url(path)``.

A mail speaks the language of the request that sends it (docs/languages.md): it is rendered
there, before it is handed to the outbox or a queue, and its templates get ``_`` (gettext of
our ``usercore`` domain) and ``lang`` (the HTML part's ``<html lang>``) from
:func:`flask_usercore.i18n.template_context`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from .config import MAIL_LINK_FLOWS, UserCoreConfig
from .hooks import Mail
from .i18n import template_context

#: Where the templates live, below a templates folder.
TEMPLATE_DIR = "usercore/mail"
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: The account page each mail of :data:`~flask_usercore.config.MAIL_LINK_FLOWS` links to
#: when the pages are mounted, below their prefix: the pages that act on the mail's token,
#: and the account's start page for the notices.
PAGE_LINKS: Mapping[str, str] = {
    "registration": "/verify-email?userId={user_id}&token={token}&email={email}",
    "password-reset": "/password/reset?userId={user_id}&token={token}",
    "email-change": "/email/confirm?userId={user_id}&token={token}",
    "email-change-notice": "/",
    "password-changed": "/",
    "mfa-reset": "/",
    "mfa-recovery-code-used": "/",
}


class MailLinks:
    """Where the mails point: the host's link of a mail, or the address of an API call.

    ``public_url`` (``USERCORE_PUBLIC_URL``) is where users reach the app, or empty (API
    addresses are then paths); ``templates`` are the link templates by mail name
    (``USERCORE_MAIL_LINKS``, checked by the config); ``api_prefix`` is the prefix the API
    is mounted at (``USERCORE_URL_PREFIX``, or the one a host registered the blueprint
    under: :meth:`mount`).
    """

    def __init__(self, public_url: str = "", templates: Mapping[str, str] | None = None,
                 api_prefix: str = "/v2") -> None:
        self.public_url = public_url
        self.templates = dict(templates or {})
        self.api_prefix = api_prefix
        #: The pages' links by mail name (:meth:`use_pages`), used where the host set none.
        self.page_templates: dict[str, str] = {}

    @classmethod
    def from_config(cls, config: UserCoreConfig) -> MailLinks:
        """The links of ``config``, the API under ``USERCORE_URL_PREFIX``."""
        return cls(config.public_url, config.mail_links, config.url_prefix)

    def mount(self, prefix: str) -> None:
        """The API is mounted at ``prefix`` (``""``: at the root), as the blueprint's
        registration says."""
        self.api_prefix = prefix.rstrip("/")

    def use_pages(self, prefix: str) -> None:
        """The account pages are mounted at ``prefix``: the mails without a link of the
        host's link to their page (:data:`PAGE_LINKS`), below the public URL."""
        self.page_templates = {name: prefix.rstrip("/") + path
                               for name, path in PAGE_LINKS.items()}

    def api_url(self, path: str) -> str:
        """The address of the API operation ``path`` (``/verify-registration``): below the
        public URL, or a path when there is none."""
        return f"{self.public_url}{self.api_prefix}{path}"

    def link(self, name: str, values: Mapping[str, str]) -> str | None:
        """The host's link for the mail ``name`` with ``values`` filled in (each quoted for a
        URL: no value can add a path, a query parameter or a fragment), else the account
        page's when the pages are mounted, or None."""
        template = self.templates.get(name, self.page_templates.get(name))
        if template is None:
            return None
        allowed = MAIL_LINK_FLOWS[name]
        link = template.format_map({key: quote(value, safe="")
                                    for key, value in values.items() if key in allowed})
        return self.public_url + link if link.startswith("/") else link


def oneline(value: Any) -> str:
    """``value`` as text on one line: control characters and line breaks become one space."""
    return _BREAKS.sub(" ", str(value)).strip()


class MailRenderer:
    """Renders the mail templates with a Jinja environment (the host app's)."""

    def __init__(self, environment: Environment, *, links: MailLinks | None = None,
                 **defaults: Any) -> None:
        self.environment = environment
        #: Where the mails point (the API under ``/v2`` and no host links by default).
        self.links = links if links is not None else MailLinks()
        #: Context every template gets (``product``: the name the mails sign with).
        self.defaults = defaults
        environment.filters.setdefault("oneline", oneline)

    def render(self, name: str, to: str, **context: Any) -> Mail:
        """The mail ``name`` to ``to``, its templates rendered with ``context``.

        Besides ``context`` (and the defaults) the templates get ``_`` and ``lang`` in the
        current request's language (:func:`~flask_usercore.i18n.template_context`),
        ``api_url`` and ``link``:
        the host's link of this mail (:meth:`MailLinks.link`) with ``{user_id}`` (of
        ``context["user"]``), ``{email}`` (``to``) and ``{token}`` (``context["token"]``, or
        ``context["code"]``), or None.
        """
        values = {"email": to}
        if (user := context.get("user")) is not None:
            values["user_id"] = str(user.id)
        if (secret := context.get("token", context.get("code"))) is not None:
            values["token"] = str(secret)
        context = {**self.defaults, **template_context(), "api_url": self.links.api_url,
                   "link": self.links.link(name, values), **context}
        subject = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.subject.txt")
        text = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.txt")
        html = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.html")
        return Mail(to=to, subject=oneline(subject.render(context)),
                    body=text.render(context).strip() + "\n",
                    html=html.render(context))
