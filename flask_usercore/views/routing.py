"""How our views are declared: one decorator registers the URL rule and its OpenAPI facts.

A view body is: load a schema (:func:`body`), call one service, dump a schema (:func:`reply`).
Authentication happens in the decorator, before the view runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema

from ..errors import Unauthorized, ValidationFailed
from ..schemas.base import load
from ..services.authentication import resolve_token
from ..services.context import Auth, ClientInfo, Deps

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Operation:
    """What the OpenAPI document says about one route."""

    method: str
    rule: str
    operation_id: str
    summary: str
    status: int
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    auth: bool = True
    cookie: bool = False
    query: type[Schema] | None = None
    extra_statuses: tuple[int, ...] = ()
    rate_limit_group: str | None = None
    tags: tuple[str, ...] = field(default=("User",))


class CapabilityBlueprint(Blueprint):
    """A blueprint whose routes are declared as operations (``openapi.py`` reads them)."""

    def operation(self, method: str, rule: str, *, operation_id: str, summary: str,
                  status: int = 200, body: type[Schema] | None = None,
                  response: type[Schema] | None = None, auth: bool = True,
                  cookie: bool = False, query: type[Schema] | None = None,
                  extra_statuses: tuple[int, ...] = (),
                  rate_limit_group: str | None = None) -> Callable[[F], F]:
        """Register ``view`` for ``method rule``.

        With ``auth`` it requires a valid token; with ``rate_limit_group`` each call counts
        against ``USERCORE_RATELIMIT_AUTH`` for that group and the client address.
        """
        op = Operation(method, rule, operation_id, summary, status, body, response, auth,
                       cookie, query, extra_statuses, rate_limit_group)

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(**kwargs: Any) -> Any:
                if op.rate_limit_group:
                    current_app.extensions["usercore"].limiter.hit(
                        op.rate_limit_group, request.remote_addr or "")
                if op.auth:
                    g.usercore_auth = _authenticate(op.cookie)
                return view(**kwargs)

            wrapped.usercore_operation = op  # type: ignore[attr-defined]
            self.add_url_rule(rule, view.__name__, wrapped, methods=[method])
            return cast(F, wrapped)

        return decorator


def deps() -> Deps:
    """The services' collaborators of the current app."""
    return cast(Deps, current_app.extensions["usercore"].deps)


def presented_token(*, cookie: bool = False) -> str | None:
    """The token of ``x-access-token``, ``Authorization: Bearer`` or (where allowed) the cookie."""
    token = request.headers.get("x-access-token", "").strip()
    if not token:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if not token and cookie:
        token = request.cookies.get("x-access-token", "").strip()
    return token or None


def _authenticate(cookie: bool) -> Auth:
    token = presented_token(cookie=cookie)
    auth = resolve_token(deps(), token) if token else None
    if auth is None:
        raise Unauthorized("a valid access token is required" if token is None
                           else "the access token is invalid or expired")
    return auth


def current_auth() -> Auth:
    """The authenticated caller of this request (set by an ``auth=True`` operation)."""
    return cast(Auth, g.usercore_auth)


def client_info() -> ClientInfo:
    """The client facts a service may record."""
    return ClientInfo(ip_address=request.remote_addr, user_agent=request.user_agent.string or None)


def raw_body() -> Any:
    """The decoded JSON body; an empty body is ``{}`` whatever its content type."""
    data = request.get_data(cache=True)
    if not data.strip():
        return {}
    if not request.is_json:
        raise ValidationFailed.single("", "contentType",
                                      "the request body must be sent as application/json")
    try:
        decoded = json.loads(data)
        # A lone surrogate ("\ud800") is valid JSON but no valid text: refuse it here, before
        # a database driver fails on it.
        json.dumps(decoded, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeError is a ValueError
        raise ValidationFailed.single("", "invalidJson",
                                      "the request body is not valid JSON text") from None
    return decoded


def body(schema: Schema) -> dict[str, Any]:
    """The request body validated by ``schema`` (a 400 of the wire rules otherwise)."""
    return load(schema, raw_body())


def query(schema: Schema) -> dict[str, Any]:
    """The query string validated by ``schema``."""
    return load(schema, request.args.to_dict())


def reply(schema: Schema, obj: Any, status: int = 200) -> Response:
    """``schema.dump(obj)`` as a JSON response."""
    response = jsonify(schema.dump(obj))
    response.status_code = status
    return response


def empty(status: int = 204) -> Response:
    """A response without a body (204, or the 200 of ``DELETE /v2/users/self``)."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
