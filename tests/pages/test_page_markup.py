"""The markup the field macro writes (usercore/pages/_macros.html)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.pages.page_support import sign_in


def _input(html: str, field_id: str) -> str:
    match = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html)
    assert match, field_id
    return match.group(0)


def test_only_required_fields_are_marked_required(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/profile").text
    assert " required" in _input(page, "firstName")
    assert "required" not in _input(page, "nickname")  # optional: no required="None"
