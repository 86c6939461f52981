"""Helpers of the account pages' tests: read a page's form and send it back, as a browser
does (its CSRF token included)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class _Forms(HTMLParser):
    """The forms of a page: each one's id, action and its inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"id": values.get("id"), "action": values.get("action"),
                               "fields": {}})
        elif tag in ("input", "button", "select", "textarea") and self.forms:
            name = values.get("name")
            if name and values.get("type") not in ("submit", "checkbox"):
                self.forms[-1]["fields"][name] = values.get("value") or ""


def forms(html: str) -> dict[str, dict[str, Any]]:
    """The forms of ``html`` by id."""
    parser = _Forms()
    parser.feed(html)
    return {form["id"]: form for form in parser.forms}


def submit(client: FlaskClient, url: str, form_id: str, **values: Any) -> TestResponse:
    """Load ``url``, fill the form ``form_id`` with ``values`` and send it."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    form = forms(page.text)[form_id]
    data = {**form["fields"], **values}
    return client.post(form["action"], data=data)


def field_error(html: str, field_id: str) -> str | None:
    """The error shown next to the field ``field_id`` (tied by ``aria-describedby``)."""
    if f'aria-describedby="{field_id}-error"' not in html and \
            f'{field_id}-error' not in html:
        return None
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


def sign_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    """Sign in on the page; the cookie is the client's from then on."""
    response = submit(client, "/account/sign-in", "sign-in-form", email=email,
                      password=password)
    assert response.status_code == 303, response.text
    return response
