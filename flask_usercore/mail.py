"""The mails the extension sends: Jinja templates with a plain-text and an HTML part.

Every mail ``name`` is three templates under ``usercore/mail/``: ``name.subject.txt``,
``name.txt`` and ``name.html``. They are looked up through the host app's Jinja environment,
so a host overrides one by putting a template of the same name in its own ``templates``
folder (the app's folder is searched before ours, as Flask does for every blueprint).

User-supplied text (names) is escaped in the HTML part (Flask's autoescape for ``.html``) and
passed through the ``oneline`` filter in the text part and the subject, so it cannot break a
line or forge a header.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment

from .hooks import Mail

#: Where the templates live, below a templates folder.
TEMPLATE_DIR = "usercore/mail"
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def oneline(value: Any) -> str:
    """``value`` as text on one line: control characters and line breaks become one space."""
    return _BREAKS.sub(" ", str(value)).strip()


class MailRenderer:
    """Renders the mail templates with a Jinja environment (the host app's)."""

    def __init__(self, environment: Environment, **defaults: Any) -> None:
        self.environment = environment
        #: Context every template gets (``product``: the name the mails sign with).
        self.defaults = defaults
        environment.filters.setdefault("oneline", oneline)

    def render(self, name: str, to: str, **context: Any) -> Mail:
        """The mail ``name`` to ``to``, its templates rendered with ``context``."""
        context = {**self.defaults, **context}
        subject = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.subject.txt")
        text = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.txt")
        html = self.environment.get_template(f"{TEMPLATE_DIR}/{name}.html")
        return Mail(to=to, subject=oneline(subject.render(context)),
                    body=text.render(context).strip() + "\n",
                    html=html.render(context))
