"""Check our responses against mittwald's published OpenAPI document (``openapi-user.json``).

The document is loaded once per test session (:func:`contract`). :func:`check` validates one
exchange with openapi-core: the status must be one the operation lists (or fall under its
``default``), the body must match that response's schema and media type, and its headers their
schemas. Exchanges of operations the document does not define (our ``/v2/openapi.json``, a 404 of an
unknown path, a method the document does not have) are not checked.

Adapters: :class:`ContractClient` (a ``FlaskClient`` that checks every response it receives) and
:func:`httpx_hook` (an httpx response event hook, for the clients that talk over a real socket).
Known deviations we make on purpose are listed in ``README.md`` beside this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from flask.testing import FlaskClient
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.templating.responses.finders import ResponseFinder
from openapi_core.validation.response.exceptions import DataValidationError
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.test import TestResponse

SPEC_PATH = Path(__file__).with_name("openapi-user.json")

#: Responses whose *body schema* is deliberately not checked, with the reason (README "Known gaps").
BODY_SCHEMA_EXEMPT: dict[tuple[str, int], str] = {
    ("password-validation-get-password-policy", 200): (
        "the document types the policy as a string (policy.Policy), but mittwald's own "
        "password-tools-js loads a JSON object and both clients accept one (DESIGN.md); "
        "only 'the body is a JSON object' is checked"),
}

_MAX_BODY_SHOWN = 1500


class ContractViolation(AssertionError):
    """A response breaks mittwald's OpenAPI document."""


@cache
def contract() -> OpenAPI:
    """The document, parsed and checked once per session (openapi-spec-validator runs on load)."""
    return OpenAPI.from_file_path(str(SPEC_PATH))


@cache
def _path_finder() -> APICallPathFinder:
    # The document has no ``servers``: openapi-core then assumes server "/" and, without a
    # base_url, compares only the path part, so paths match relative to any host.
    return APICallPathFinder(contract().spec)


@dataclass
class ContractRequest:
    """The request facts openapi-core needs to find the operation (its ``Request`` protocol)."""

    method: str
    host_url: str
    path: str
    content_type: str = "application/octet-stream"
    body: bytes | None = None
    parameters: RequestParameters = field(default_factory=RequestParameters)

    def __post_init__(self) -> None:
        self.method = self.method.lower()


@dataclass(frozen=True)
class ContractResponse:
    """The response facts openapi-core validates (its ``Response`` protocol)."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def find_operation(method: str, path: str) -> SchemaPath | None:
    """The document's operation for ``method path``, or None if the document has none."""
    try:
        found = _path_finder().find(method.lower(), urljoin("http://localhost/", path))
    except (PathNotFound, OperationNotFound, ServerNotFound):
        return None
    operation: SchemaPath = found.operation
    return operation


def _schema_error_lines(error: SchemaError, indent: str = "    ") -> list[str]:
    where = error.json_path
    lines = [f"{indent}- {error.message} (at {where})"]
    # oneOf/anyOf: show why each alternative failed, one level deep.
    for sub in sorted(error.context or [], key=lambda e: (list(e.relative_schema_path), e.message)):
        lines.append(f"{indent}    * {sub.message} (at {sub.json_path}, "
                     f"alternative {list(sub.relative_schema_path)[:1]})")
    return lines


def _error_lines(error: Exception) -> list[str]:
    text = str(error)
    name = type(error).__name__
    lines = [f"  {text}" if text.startswith(name) else f"  {name}: {text}"]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        if isinstance(cause, InvalidSchemaValue):
            lines = [f"  {name}:"]
            for schema_error in cause.schema_errors:
                if isinstance(schema_error, SchemaError):
                    lines.extend(_schema_error_lines(schema_error))
                else:
                    lines.append(f"    - {schema_error}")
            break
        if str(cause) not in lines[-1]:
            lines.append(f"    caused by {type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return lines


def _operation_response(operation: SchemaPath, status: int) -> SchemaPath | None:
    try:
        return ResponseFinder(operation / "responses").find(str(status))
    except ResponseNotFound:
        return None


def problems(request: ContractRequest, response: ContractResponse) -> list[str]:
    """Readable descriptions of everything in ``response`` that breaks the document."""
    operation = find_operation(request.method, request.path)
    if operation is None:
        return []
    operation_id = (operation / "operationId").read_str()
    lines: list[str] = []
    errors = list(contract().iter_response_errors(request, response))
    exempt = BODY_SCHEMA_EXEMPT.get((operation_id, response.status_code))
    if exempt is not None:
        errors = [e for e in errors if not isinstance(e, DataValidationError)]
        try:
            is_object = isinstance(json.loads(response.data or b""), dict)
        except ValueError:
            is_object = False
        if not is_object:
            lines.append(f"  the body must be a JSON object ({exempt})")
    for error in errors:
        lines.extend(_error_lines(error))
    described = _operation_response(operation, response.status_code)
    if (described is not None and "content" not in described
            and 200 <= response.status_code < 300 and response.data):
        lines.append(f"  the document describes {response.status_code} without content, "
                     "but the response has a body")
    return lines


def check(request: ContractRequest, response: ContractResponse) -> None:
    """Raise :class:`ContractViolation` if ``response`` breaks the document."""
    found = problems(request, response)
    if not found:
        return
    operation = find_operation(request.method, request.path)
    assert operation is not None
    operation_id = (operation / "operationId").read_str()
    body = (response.data or b"").decode("utf-8", "replace")
    if len(body) > _MAX_BODY_SHOWN:
        body = body[:_MAX_BODY_SHOWN] + "..."
    raise ContractViolation(
        f"{request.method.upper()} {request.path} answered {response.status_code} "
        f"({response.content_type or 'no content type'}), which breaks operation {operation_id} "
        f"of mittwald's OpenAPI document ({SPEC_PATH.name}):\n" + "\n".join(found)
        + f"\n  response body: {body or '(empty)'}")


def from_werkzeug(response: TestResponse) -> tuple[ContractRequest, ContractResponse]:
    """The exchange behind a Flask/Werkzeug test-client response."""
    request = response.request
    contract_request = ContractRequest(
        method=request.method, host_url=request.host_url,
        path=request.root_path + request.path,
        content_type=request.content_type or "application/octet-stream",
        parameters=RequestParameters(query=ImmutableMultiDict(request.args),
                                     header=Headers(request.headers), cookie=request.cookies))
    return contract_request, ContractResponse(
        status_code=response.status_code, content_type=response.mimetype or "",
        headers=Headers(response.headers), data=response.get_data())


def from_httpx(response: httpx.Response) -> tuple[ContractRequest, ContractResponse]:
    """The exchange behind an httpx response (its body must have been read)."""
    request = response.request
    url = request.url
    contract_request = ContractRequest(
        method=request.method, host_url=f"{url.scheme}://{url.netloc.decode('ascii')}/",
        path=url.path,
        content_type=request.headers.get("content-type", "application/octet-stream"),
        parameters=RequestParameters(query=ImmutableMultiDict(url.params.multi_items()),
                                     header=Headers(list(request.headers.items()))))
    mimetype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return contract_request, ContractResponse(
        status_code=response.status_code, content_type=mimetype,
        headers=Headers(list(response.headers.items())), data=response.content)


def httpx_hook(response: httpx.Response) -> None:
    """An httpx ``event_hooks["response"]`` entry: check each response against the document."""
    response.read()
    check(*from_httpx(response))


class ContractClient(FlaskClient):
    """A test client that checks every response it receives (redirect hops included)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        for hop in (*response.history, response):
            check(*from_werkzeug(hop))
        return response
