"""Render the operation pages of the docs site from our OpenAPI document.

``load_example()`` builds example_app in-process (in-memory SQLite) and fetches its
``/v2/openapi.json`` with the test client, together with the capability of every operation
(the module of its view: ``flask_usercore.views.sessions`` is the capability ``sessions``).
``render_pages()`` turns both into Markdown pages, one per capability, with every
operation: method, path, operationId, summary, who may call it, parameters, request body
fields and the responses per status. Nothing here needs MkDocs: ``gen_pages.py`` writes the
pages into the build, and the tests call ``render_pages()`` directly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The directory of the generated pages, relative to docs/.
OUT_DIR = "operations"

#: Page title and file name of each capability, in the order of the site's navigation.
CAPABILITIES: dict[str, str] = {
    "registration": "Registration",
    "authentication": "Login and logout",
    "sessions": "Sessions",
    "retrieval_keys": "Access-token retrieval keys",
    "api_tokens": "API tokens",
    "mfa": "Multi-factor authentication",
    "passwords": "Password policy, change and reset",
    "email_change": "E-mail address",
    "support_code": "Support code",
    "users": "Profile and account",
    "ssh_keys": "SSH keys",
    "settings": "Personalized settings",
    "poll_settings": "Poll settings",
    "feedback": "Feedback",
    "phone": "Phone number",
    "avatar": "Avatar",
    "files": "Files",
    "oauth2": "OAuth2",
    "admin": "Admin API",
    "identities": "Sign-in with other providers",
    "meta": "This document",
}
#: Capability of operations whose view is not an operation of a capability module.
META = "meta"

#: Error schemas shared by every operation: described once, on the index page.
SHARED_SCHEMAS = ("Error", "ValidationErrors", "DomainError", "OAuth2Error")

#: How each credential kind of ``x-usercore-kinds`` is shown.
_KINDS = {"session": "session (login)", "api_token": "API token", "oauth2": "OAuth2 access token"}
_SAFE = {"get", "head", "options"}
_LIMITS = (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
           ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"),
           ("pattern", "pattern"), ("enum", "one of"), ("default", "default"))
#: Nested schemas are flattened into dotted field names down to this depth.
_MAX_DEPTH = 3


def load_example() -> tuple[dict[str, Any], dict[str, str]]:
    """Build example_app in-process and return its OpenAPI document and the capability of
    every operationId (operations of no capability module get ``meta``)."""
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from example_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    response = app.test_client().get("/v2/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"GET /v2/openapi.json answered {response.status_code}")
    spec: dict[str, Any] = response.get_json()
    capabilities: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "usercore_operation", None)
        if operation is not None:
            capabilities[operation.operation_id] = capability_of(view.__module__)
    return spec, capabilities


def capability_of(module: str) -> str:
    """The capability of a view module: ``flask_usercore.views.mfa`` -> ``mfa``,
    anything under ``flask_usercore.oauth2`` -> ``oauth2``."""
    parts = module.split(".")
    if parts[:2] == ["flask_usercore", "oauth2"]:
        return "oauth2"
    if parts[:2] == ["flask_usercore", "views"] and len(parts) > 2:
        return parts[2]
    return META


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the document, in path order."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield method, path, operation


def render_pages(spec: dict[str, Any], capabilities: dict[str, str]) -> dict[str, str]:
    """Markdown pages keyed by their path under docs/: ``operations/index.md``, one page per
    capability, and ``operations/SUMMARY.md`` (their navigation)."""
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, operation in operations(spec):
        name = capabilities.get(operation["operationId"], META)
        groups.setdefault(name, []).append((method, path, operation))
    order = [name for name in CAPABILITIES if name in groups]
    order += sorted(name for name in groups if name not in CAPABILITIES)
    schemas = spec.get("components", {}).get("schemas", {})
    pages = {f"{OUT_DIR}/{name}.md": _capability_page(name, groups[name], schemas)
             for name in order}
    pages[f"{OUT_DIR}/index.md"] = _index_page(spec, order, groups, schemas)
    nav = ["* [Overview](index.md)"]
    nav += [f"* [{_title(name)}]({name}.md)" for name in order]
    pages[f"{OUT_DIR}/SUMMARY.md"] = "\n".join(nav) + "\n"
    return pages


def _title(name: str) -> str:
    return CAPABILITIES.get(name, name.replace("_", " ").capitalize())


def _index_page(spec: dict[str, Any], order: list[str],
                groups: dict[str, list[tuple[str, str, dict[str, Any]]]],
                schemas: dict[str, Any]) -> str:
    info = spec.get("info", {})
    count = sum(len(groups[name]) for name in order)
    lines = [
        "# Operations",
        "",
        f"Every operation of our OpenAPI document (`{info.get('title', '')}` "
        f"{info.get('version', '')}, OpenAPI {spec.get('openapi', '')}), {count} in all, as "
        "example_app serves it at `/v2/openapi.json`. These pages are generated from that "
        "document when the site is built; the wire contract itself is mittwald's document "
        "(see [errors](../errors.md) for the error bodies in detail).",
        "",
        "A token goes in `Authorization: Bearer <token>` or `x-access-token: <token>`; what "
        "each kind of credential may call is in the [security model](../security.md).",
        "",
        "| Capability | Operations |",
        "|---|---|",
    ]
    for name in order:
        links = ", ".join(f"[`{op['operationId']}`]({name}.md#{op['operationId']})"
                          for _, _, op in groups[name])
        lines.append(f"| [{_title(name)}]({name}.md) | {links} |")
    lines += ["", "## Shared error schemas", ""]
    for schema_name in SHARED_SCHEMAS:
        if schema_name in schemas:
            lines += [f"### `{schema_name}` {{#{schema_name.lower()}}}", ""]
            lines += _field_table(schemas[schema_name], schemas)
            lines.append("")
    return "\n".join(lines)


def _capability_page(name: str, ops: list[tuple[str, str, dict[str, Any]]],
                     schemas: dict[str, Any]) -> str:
    lines = [f"# {_title(name)}", "",
             "Generated from `/v2/openapi.json`; see [all operations](index.md).", ""]
    for method, path, operation in ops:
        lines += _operation(method, path, operation, schemas)
    return "\n".join(lines)


def _operation(method: str, path: str, operation: dict[str, Any],
               schemas: dict[str, Any]) -> list[str]:
    op_id = operation["operationId"]
    lines = [f"## `{method.upper()} {path}` {{#{op_id}}}", ""]
    if operation.get("summary"):
        lines += [_cell(operation["summary"]), ""]
    lines += [f"- **operationId**: `{op_id}`",
              f"- **Who may call it**: {_callers(method, operation)}", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["**Parameters**", "", "| Name | In | Type | Required | Limits |",
                  "|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            lines.append(f"| `{parameter['name']}` | {parameter.get('in', '')} | "
                         f"{_type(schema)} | {_yes(parameter.get('required', False))} | "
                         f"{_limits(schema)} |")
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            required = "required" if body.get("required") else "optional"
            lines += [f"**Request body** (`{media}`, {required}"
                      f"{_schema_name(content.get('schema', {}))})", ""]
            lines += _field_table(content.get("schema", {}), schemas)
            lines.append("")
    lines += ["**Responses**", ""]
    for status, response in operation.get("responses", {}).items():
        lines += _response(status, response, schemas)
    return lines


def _callers(method: str, operation: dict[str, Any]) -> str:
    if not operation.get("security"):
        return "anyone (no token needed)"
    kinds = operation.get("x-usercore-kinds", [])
    shown = []
    for kind in sorted(kinds, key=lambda k: (list(_KINDS).index(k) if k in _KINDS else 99, k)):
        text = _KINDS.get(kind, kind)
        if kind == "api_token":
            text += (" (`api_read` or `api_write`)" if method in _SAFE
                     else " (`api_write`)")
        if kind == "oauth2":
            scopes = operation.get("x-usercore-oauth2-scopes", [])
            if scopes:
                text += " with scope " + ", ".join(f"`{scope}`" for scope in scopes)
        shown.append(text)
    callers = ", ".join(shown) if shown else "a token of any kind"
    permissions = operation.get("x-usercore-permissions", [])
    if permissions:  # docs/roles.md
        callers += "; the user needs the permission " + ", ".join(
            f"`{name}`" for name in permissions) + " ([admin API](../admin.md))"
    return callers


def _response(status: str, response: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    description = _cell(response.get("description", ""))
    content = response.get("content", {})
    if not content:
        return [f"- **{status}** {description}: no body", ""]
    lines = []
    for media, media_content in content.items():
        schema = media_content.get("schema", {})
        shared = _shared(schema)
        if shared:
            links = " or ".join(f"[`{name}`](index.md#{name.lower()})" for name in shared)
            lines += [f"- **{status}** {description}: `{media}`, {links}", ""]
            continue
        lines += [f"- **{status}** {description}: `{media}`{_schema_name(schema)}", ""]
        table = _field_table(schema, schemas)
        if len(table) > 2:
            lines += ["    " + line for line in table] + [""]
    return lines


def _shared(schema: dict[str, Any]) -> list[str]:
    """The shared error schemas ``schema`` is (a $ref, or anyOf/oneOf of $refs), else []."""
    refs = [schema] if "$ref" in schema else schema.get("anyOf", schema.get("oneOf", []))
    names = [_ref_name(ref.get("$ref", "")) for ref in refs]
    return names if names and all(name in SHARED_SCHEMAS for name in names) else []


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f", schema `{_ref_name(schema['$ref'])}`"
    items = schema.get("items", {})
    if schema.get("type") == "array" and "$ref" in items:
        return f", a list of `{_ref_name(items['$ref'])}`"
    return ""


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    seen = set()
    while "$ref" in schema and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        schema = schemas.get(_ref_name(schema["$ref"]), {})
    return schema


def _field_table(schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    rows = list(_fields(schema, schemas, "", 0))
    if not rows:
        return ["(no fields)"]
    return ["| Field | Type | Required | Limits | Description |", "|---|---|---|---|---|",
            *rows]


def _fields(schema: dict[str, Any], schemas: dict[str, Any], prefix: str,
            depth: int) -> Iterator[str]:
    schema = _resolve(schema, schemas)
    if schema.get("type") == "array":
        schema = _resolve(schema.get("items", {}), schemas)
        prefix = prefix[:-1] + "[]." if prefix else prefix
    required = set(schema.get("required", []))
    for name, field in schema.get("properties", {}).items():
        resolved = _resolve(field, schemas)
        flags = []
        if field.get("readOnly") or resolved.get("readOnly"):
            flags.append("read-only")
        description = " ".join([*flags, _cell(field.get("description", ""))]).strip()
        yield (f"| `{prefix}{name}` | {_type(field)} | {_yes(name in required)} | "
               f"{_limits(resolved)} | {description} |")
        nested = resolved.get("items", {}) if resolved.get("type") == "array" else resolved
        if depth < _MAX_DEPTH and _resolve(nested, schemas).get("properties"):
            yield from _fields(resolved, schemas, f"{prefix}{name}.", depth + 1)


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{_ref_name(schema['$ref'])}`"
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if isinstance(kind, list):
        text = " or ".join(str(k) for k in kind)
    else:
        text = str(kind) if kind else "any"
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


#: The character rule's patterns (flask_usercore/openapi/fields.py), shown in words.
_CHARACTER_RULES = {
    r"^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]*$": "no control characters",
    r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$":
        "no control characters (LF and tab allowed)"}
#: An enum longer than this is counted, not listed (``countryCode``'s ISO 3166 codes).
_LONGEST_ENUM = 20


def _limits(schema: dict[str, Any]) -> str:
    shown = []
    for key, label in _LIMITS:
        if key in schema:
            value = schema[key]
            if key == "pattern" and value in _CHARACTER_RULES:
                shown.append(_CHARACTER_RULES[value])
            elif key == "enum" and len(value) > _LONGEST_ENUM:
                shown.append(f"{label} {len(value)} values")
            elif key == "enum":
                shown.append(label + " " + ", ".join(f"`{_code(v)}`" for v in value))
            else:
                shown.append(f"{label} `{_code(value)}`")
    return "; ".join(shown)


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|").replace("`", "'")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
