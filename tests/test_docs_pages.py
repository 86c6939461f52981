"""The docs site's generated pages (docs/_scripts/): every operation of our OpenAPI document
is rendered, in the page of its capability, with who may call it and its fields; the Griffe
extension of the API reference turns the package's Sphinx habits into Markdown.

These call the renderer directly (no MkDocs); `.ci/run` builds the site itself with
``mkdocs build --strict``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "docs" / "_scripts"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"usercore_docs_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


operations = _load("operations")


@pytest.fixture(scope="module")
def example() -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    spec, capabilities = operations.load_example()
    return spec, capabilities, operations.render_pages(spec, capabilities)


def _section(pages: dict[str, str], op_id: str) -> str:
    """The rendered section of one operation (its heading up to the next one)."""
    for text in pages.values():
        match = re.search(rf"^## [^\n]*\{{#{re.escape(op_id)}\}}$(.*?)(?=^## |\Z)", text,
                          re.MULTILINE | re.DOTALL)
        if match:
            return match.group(0)
    raise AssertionError(f"{op_id} is on no page")


def test_every_operation_has_a_section_in_one_page_and_a_link_in_the_index(example):
    spec, _, pages = example
    op_ids = [op["operationId"] for _, _, op in operations.operations(spec)]
    assert len(op_ids) == len(set(op_ids)) > 60
    index = pages["operations/index.md"]
    for op_id in op_ids:
        holders = [name for name, text in pages.items() if f"{{#{op_id}}}" in text]
        assert len(holders) == 1, (op_id, holders)
        assert f"#{op_id})" in index, op_id


def test_operations_are_grouped_by_the_module_of_their_view(example):
    _, capabilities, pages = example
    assert capabilities["user-authenticate"] == "authentication"
    assert capabilities["user-list-ssh-keys"] == "ssh_keys"
    assert capabilities["user-oauth-retrieve-access-token"] == "oauth2"
    assert "operations/sessions.md" in pages
    assert "{#user-list-sessions}" in pages["operations/sessions.md"]
    # only what no capability declares (this document's own route) is left for "meta"
    assert re.findall(r"\{#([^}]+)\}$", pages["operations/meta.md"], re.MULTILINE) == [
        "usercore-openapi"]
    summary = pages["operations/SUMMARY.md"].splitlines()
    assert summary[0] == "* [Overview](index.md)"
    assert len(summary) == 1 + len(set(capabilities.values()) | {"meta"})


def test_a_section_shows_method_path_summary_and_callers(example):
    spec, _, pages = example
    section = _section(pages, "user-get-user")
    assert section.startswith("## `GET /v2/users/{userId}` {#user-get-user}")
    assert spec["paths"]["/v2/users/{userId}"]["get"]["summary"] in section
    assert ("session (login), API token (`api_read` or `api_write`), OAuth2 access token "
            "with scope `profile`") in section
    assert "**Who may call it**: anyone (no token needed)" in _section(pages, "user-register")
    assert "**Who may call it**: session (login)\n" in _section(pages, "user-create-api-token")
    assert ("**Who may call it**: session (login), OAuth2 access token with scope `profile`"
            in _section(pages, "user-change-password"))
    assert "API token (`api_write`)" in _section(pages, "user-create-ssh-key")


def test_request_fields_are_flattened_with_required_flags_and_limits(example):
    _, _, pages = example
    section = _section(pages, "user-register")
    assert "**Request body** (`application/json`, required, schema `Register`)" in section
    assert ("| `person.firstName` | string | yes | min length `1`; max length `120`; no control "
            "characters |"
            in section)
    assert "| `person.title` | string | no | one of `mr`, `ms`, `other` |" in section
    assert "| `email` | string (email) | yes |" in section
    assert "| `nickname` | string or null | no |" in section


def test_responses_are_listed_per_status_with_their_fields(example):
    _, _, pages = example
    section = _section(pages, "user-list-ssh-keys")
    assert "- **200** OK: `application/json`, schema `SshKeyList`" in section
    assert "| `sshKeys[].fingerprint` | string |" in section
    assert "| `limit` | query | integer | no | min `0`; max `1000` |" in section
    assert "- **401** Not authenticated: `application/json`, [`Error`](index.md#error)" in section
    assert "- **204** No content: no body" in _section(pages, "user-delete-ssh-key")
    index = pages["operations/index.md"]
    assert "### `ValidationErrors` {#validationerrors}" in index
    assert "| `validationErrors[].path` | string | yes |" in index


def test_table_cells_escape_pipes():
    assert operations._cell("a | b\n  c") == "a \\| b c"
    assert operations._limits({"pattern": "^(a|b)$"}) == "pattern `^(a\\|b)$`"


def test_the_griffe_extension_turns_roles_and_comments_into_markdown():
    pytest.importorskip("griffe")  # the docs extra: installed by .ci/run before the docs build
    roles = _load("griffe_roles")
    text = "See :func:`flask_usercore.auth_required` and :class:`~flask_usercore.errors.NotFound`::"
    assert roles.markdown_docstring(text) == (
        "See `flask_usercore.auth_required` and `NotFound`:")
    lines = ["x = 1", "#: first line", "#: second line", "signal = make()"]
    assert roles.comment_docstring(lines, 4) == "first line\nsecond line"
    assert roles.comment_docstring(lines, 2) is None
