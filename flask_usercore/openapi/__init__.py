"""Our OpenAPI 3.1 document, built from the declared operations and their schemas (apispec).

An operation's declaration gives its parameters, body and answers; one whose view reads its
request itself (the OAuth2 endpoints) declares them as
:class:`~flask_usercore.web.operation.Documented`. Beyond apispec's conversion of the fields,
:mod:`.fields` states the server's character rule and ``countryCode``'s codes.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, current_app, jsonify

from .._version import __version__
from ..schemas.base import Email
from ..schemas.users import HttpUrl
from ..state import usercore_state
from ..web.operation import Answer, Documented, Operation
from .fields import ATTRIBUTE_FUNCTIONS, RULE

VERSION = __version__
_PATH_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

_ERROR = {"type": "object", "required": ["type", "message"],
          "properties": {"type": {"type": "string"}, "message": {"type": "string"},
                         "code": {"type": "integer"}}}
_VALIDATION_ERRORS = {
    "type": "object", "required": ["type", "validationErrors"],
    "properties": {
        "type": {"type": "string", "enum": ["ValidationError"]},
        "message": {"type": "string"}, "code": {"type": "integer"},
        "validationErrors": {"type": "array", "items": {
            "type": "object", "required": ["path", "message", "type"],
            "properties": {"path": {"type": "string"}, "message": {"type": "string"},
                           "type": {"type": "string"},
                           "context": {"type": "object",
                                       "additionalProperties": {"type": "string"}}}}}}}
_OAUTH2_ERROR = {"type": "object", "required": ["error"],
                 "properties": {"error": {"type": "string"},
                                "error_description": {"type": "string"},
                                "error_uri": {"type": "string"}}}
_DOMAIN_ERROR = {"type": "object", "required": ["name", "message"],
                 "properties": {"name": {"type": "string"}, "message": {"type": "string"},
                                "info": {"type": "object"}}}
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "A second factor is required",
                204: "No content", 400: "Invalid input", 401: "Not authenticated",
                403: "Forbidden", 404: "Not found", 408: "The first factor has expired",
                409: "Conflict", 429: "Too many requests"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(op: Operation, path: str) -> dict[str, Any]:
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(op.status, "OK")}
    if op.response is not None:
        success.update(_json({"type": "array", "items": op.response} if op.many
                             else op.response))
    elif op.status == 200 and op.method != "DELETE":
        success.update(_json({"type": "object"}))
    responses: dict[str, Any] = {
        str(op.status): success,
        "400": {"description": _STATUS_TEXT[400],
                **_json(_ref("OAuth2Error" if op.error_format == "oauth2"
                             else "ValidationErrors"))},
        "429": {"description": _STATUS_TEXT[429], **_json(_ref("Error"))},
        "default": {"description": "Any other error", **_json(_ref("Error"))},
    }
    for status in op.extra_statuses:
        if status in (202, 408):  # SecondFactorRequired, FirstAuthenticationFactorExpired
            responses[str(status)] = {"description": _STATUS_TEXT[status],
                                      **_json(_ref("DomainError"))}
        elif status == 204:
            responses["204"] = {"description": "cookieOnly: the cookie was set"}
        elif status == 401:  # wrong credentials: ValidationErrors, no message; or a bad token
            responses["401"] = {"description": "Wrong credentials", **_json(
                {"anyOf": [_ref("ValidationErrors"), _ref("Error")]})}
        else:
            responses[str(status)] = {"description": _STATUS_TEXT.get(status, "Error"),
                                      **_json(_ref("Error"))}
    if op.auth:
        responses["401"] = {"description": _STATUS_TEXT[401], **_json(_ref("Error"))}
        responses.setdefault("403", {"description": _STATUS_TEXT[403], **_json(_ref("Error"))})
    result: dict[str, Any] = {
        "operationId": op.operation_id, "summary": op.summary, "tags": list(op.tags),
        "responses": responses,
        "security": [{"AccessToken": []}, {"Bearer": []}] if op.auth else [],
        "x-usercore-kinds": sorted(op.kinds),
    }
    if op.scopes:
        result["x-usercore-oauth2-scopes"] = list(op.scopes)
    if op.fresh:  # a fresh session, or the password (docs/security.md)
        result["x-usercore-recent-authentication"] = True
    if op.permissions:  # the user's permissions (docs/roles.md, docs/admin.md)
        result["x-usercore-permissions"] = list(op.permissions)
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{([^{}]+)}", path)]
    if parameters:
        result["parameters"] = parameters
    if op.query is not None:
        result.setdefault("parameters", []).append({"in": "query", "schema": op.query})
    if op.body is not None:
        required = any(f.required for f in op.body().fields.values())
        media = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                 "multipart": "multipart/form-data"}[op.body_format]
        result["requestBody"] = {"required": required,
                                 "content": {media: {"schema": op.body}}}
    if op.documented is not None:
        _document(result, op.documented)
    return result


#: What a :class:`Documented` answer's ``media`` is in the document.
_MEDIA: dict[str, tuple[str, Any]] = {
    "oauth2": ("application/json", _ref("OAuth2Error")),
    "error": ("application/json", _ref("Error")),
    "html": ("text/html", {"type": "string"})}


def _answer(answer: Answer) -> dict[str, Any]:
    """The OpenAPI response object of ``answer``."""
    content: dict[str, list[Any]] = {}
    for media in answer.media:
        if media == "json":
            content.setdefault("application/json", []).append(answer.schema)
        elif media != "none":
            kind, schema = _MEDIA[media]
            content.setdefault(kind, []).append(schema)
    described: dict[str, Any] = {"description": answer.description}
    if content:
        described["content"] = {
            kind: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
            for kind, schemas in content.items()}
    if answer.headers:
        described["headers"] = {name: {"schema": {"type": "string"}}
                                for name in answer.headers}
    return described


#: Where ``_document`` leaves a form's ``Documented.unknown`` for ``_unknown_parameters``.
_UNKNOWN = "x-usercore-unknown"


def _unknown_parameters(document: dict[str, Any]) -> None:
    """Merge each form's ``Documented.unknown`` into the schema component of that form."""
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document["paths"].values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                unknown = media.pop(_UNKNOWN, None)
                if unknown is not None:
                    schemas[media["schema"]["$ref"].rsplit("/", 1)[-1]].update(unknown)


def _document(result: dict[str, Any], doc: Documented) -> None:
    """``result`` with what a view that reads its request itself declares it reads and
    answers (the OAuth2 endpoints)."""
    parameters = result.setdefault("parameters", [])
    if doc.query is not None:
        parameters.append({"in": "query", "schema": doc.query})
    if doc.credentials == "owner":
        parameters.append({
            "name": "x-access-token", "in": "cookie", "required": False,
            "schema": {"type": "string"},
            "description": "The resource owner's session token (or in a header)."})
        result["security"] = [{}, {"AccessToken": []}, {"Bearer": []}]
    elif doc.credentials == "client":
        result["security"] = [{}, {"ClientBasic": []}]
    if not parameters:
        del result["parameters"]
    if doc.form is not None:
        media: dict[str, Any] = {"schema": doc.form}
        if doc.unknown:  # merged into the form's component by _unknown_parameters
            media[_UNKNOWN] = dict(doc.unknown)
        result["requestBody"] = {"required": True, "content": {
            "application/x-www-form-urlencoded": media}}
    implied = result["responses"]  # in place of what the declared status implies:
    result["responses"] = {str(answer.status): _answer(answer) for answer in doc.answers}
    for status in ("429", "default"):  # the rate limits, and the wire rules' other errors
        result["responses"].setdefault(status, implied[status])


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route our blueprints mounted on ``app``."""
    from apispec import APISpec  # built on the first request for the document only
    from apispec.ext.marshmallow import MarshmallowPlugin

    marshmallow = MarshmallowPlugin()
    spec = APISpec(title="flask-usercore", version=VERSION, openapi_version="3.1.0",
                   plugins=[marshmallow],
                   info={"description": "mittwald mStudio v2 User API and APITree Profile. "
                                        + RULE})
    marshmallow.map_to_openapi_type(Email, "string", "email")  # type: ignore[no-untyped-call]
    marshmallow.map_to_openapi_type(HttpUrl, "string", "uri")  # type: ignore[no-untyped-call]
    for function in ATTRIBUTE_FUNCTIONS:
        marshmallow.converter.add_attribute_function(function)  # type: ignore[union-attr]
    spec.components.security_scheme(
        "AccessToken", {"type": "apiKey", "in": "header", "name": "x-access-token"})
    spec.components.security_scheme("Bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(  # OAuth2 client authentication (RFC 6749 2.3.1)
        "ClientBasic", {"type": "http", "scheme": "basic"})
    spec.components.schema("Error", _ERROR)
    spec.components.schema("ValidationErrors", _VALIDATION_ERRORS)
    spec.components.schema("DomainError", _DOMAIN_ERROR)
    spec.components.schema("OAuth2Error", _OAUTH2_ERROR)
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        path = _PATH_VARIABLE.sub(r"{\1}", rule.rule)
        op: Operation | None = getattr(view, "usercore_operation", None)
        if op is not None:
            paths.setdefault(path, {})[op.method.lower()] = _operation(op, path)
        elif view is openapi_view:
            paths.setdefault(path, {})["get"] = {
                "operationId": "usercore-openapi", "summary": "This OpenAPI document.",
                "tags": ["Meta"], "security": [],
                "responses": {"200": {"description": "OK", **_json({"type": "object"})}}}
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _unknown_parameters(document)
    return document


def openapi_view() -> Response:
    """``GET {prefix}/openapi.json``: built once per app, on first request."""
    state = usercore_state()
    if state.built.openapi is None:
        state.built.openapi = build_spec(current_app)
    return jsonify(state.built.openapi)
