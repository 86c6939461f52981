"""How our operations are declared and run: one decorator is the single source of an
operation's method, path, status, request and response schemas and who may call it.

The wrapper it installs does, in order: rate limit, authentication and the kind/scope check,
load the query and body with the declared schemas, call the view, dump the result with the
declared response schema and status, commit once, run the after-commit actions (mail, SMS,
signals). Any error rolls everything back. A view is: take ``body``/``query``, call one
service, return what it returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, TypeVar, cast

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema

from ..config import UserCoreConfig
from ..errors import Forbidden, PayloadTooLarge, Unauthorized, ValidationFailed
from ..models import Credential
from ..runtime.request_log import note_caller
from ..schemas.base import load
from ..schemas.compiled import Dumper, compiled_dumper
from ..services.access import USER_KINDS, check_access
from ..services.authentication import resolve_token
from ..services.context import (
    AnySession,
    Auth,
    ClientInfo,
    Deps,
    commit,
    plain_session,
    rollback,
    run_after_commit,
)
from ..state import usercore_state

F = TypeVar("F", bound=Callable[..., Any])
BodyFormat = Literal["json", "form", "multipart"]
COOKIE_NAME = "x-access-token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``UserCoreState.cache`` key: whether reads end with a COMMIT (:func:`end_read`).
_COMMIT_READS = "commit_reads"


@dataclass(frozen=True, slots=True)
class Page:
    """A list reply: the items of one page and the pagination facts sent as headers
    (``X-Pagination-Limit``, ``-Skip``, ``-Page``, ``-TotalCount``)."""

    items: Sequence[Any]
    total: int
    limit: int
    skip: int

    @property
    def page(self) -> int:
        """The 1-based page number of ``skip`` at ``limit`` items per page."""
        return self.skip // self.limit + 1 if self.limit else 1

    def headers(self) -> dict[str, str]:
        return {"X-Pagination-Limit": str(self.limit), "X-Pagination-Skip": str(self.skip),
                "X-Pagination-Page": str(self.page), "X-Pagination-TotalCount": str(self.total)}


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: everything the wrapper, the OpenAPI document and the tests read."""

    method: str
    rule: str
    operation_id: str
    summary: str
    status: int
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    query: type[Schema] | None = None
    #: Credential kinds accepted; empty means public (no token needed, a token is ignored).
    kinds: frozenset[str] = USER_KINDS
    #: OAuth2 scopes an OAuth2 access token needs (when ``oauth2`` is among the kinds).
    scopes: tuple[str, ...] = ()
    body_format: BodyFormat = "json"
    #: The response is a list of ``response`` items (the view returns a :class:`Page`).
    many: bool = False
    extra_statuses: tuple[int, ...] = ()
    rate_limit_group: str | None = None
    tags: tuple[str, ...] = field(default=("User",))
    #: This operation's largest body, from the config, when it is not ``max_body_bytes``
    #: (uploads, settings documents); the larger of the two applies.
    body_limit: Callable[[UserCoreConfig], int] | None = None
    #: Shape of its 400 answers: the wire rules' ValidationErrors, or RFC 6749's
    #: ``{error, error_description}`` (the OAuth2 endpoints).
    error_format: Literal["wire", "oauth2"] = "wire"

    @property
    def auth(self) -> bool:
        """Whether a bearer credential is required."""
        return bool(self.kinds)


class CapabilityBlueprint(Blueprint):
    """A blueprint whose routes are declared as operations (``openapi.py`` reads them)."""

    def operation(self, method: str, rule: str, *, operation_id: str, summary: str,
                  status: int = 200, body: type[Schema] | None = None,
                  response: type[Schema] | None = None, query: type[Schema] | None = None,
                  kinds: Collection[str] = USER_KINDS, scopes: Sequence[str] = (),
                  body_format: BodyFormat = "json", many: bool = False,
                  extra_statuses: tuple[int, ...] = (),
                  rate_limit_group: str | None = None,
                  body_limit: Callable[[UserCoreConfig], int] | None = None,
                  writes: bool = False,
                  tags: Sequence[str] = ("User",),
                  error_format: Literal["wire", "oauth2"] = "wire") -> Callable[[F], F]:
        """Declare ``view`` as the operation ``method rule`` (see :class:`Operation`).

        The view receives the path variables, ``body=`` (when ``body`` is declared) and
        ``query=`` (when ``query`` is declared), and returns the object to dump with
        ``response`` (a :class:`Page` when ``many``), None for an empty ``status`` reply,
        or a ready ``Response``. ``tags``: ``("User",)`` for mittwald's operations; ours
        that mittwald's document lacks are tagged otherwise (``OAuth2``).
        """
        op = Operation(method, rule, operation_id, summary, status, body, response, query,
                       frozenset(kinds), tuple(scopes), body_format, many, extra_statuses,
                       rate_limit_group, tuple(tags), body_limit=body_limit,
                       error_format=error_format)
        body_schema = body() if body else None
        query_schema = query() if query else None
        response_schema = response(many=many) if response else None
        #: The response schema's dump of one item, compiled (schemas/compiled.py), if it can be.
        dump_one = compiled_dumper(response()) if response else None
        #: A safe method never writes (DESIGN.md: no database write inside a read request),
        #: unless declared with ``writes=True`` (``GET .../support-code`` issues a code).
        read_only = method in _SAFE and not writes

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(**kwargs: Any) -> Response:
                state = usercore_state()
                session = state.deps.session
                try:
                    if op.rate_limit_group:
                        state.limiter.hit(op.rate_limit_group, request.remote_addr or "")
                    if op.kinds:
                        g.usercore_auth = authenticate_request(op.kinds, op.scopes)
                    if query_schema is not None:
                        kwargs["query"] = load(query_schema, request.args.to_dict())
                    if body_schema is not None:
                        kwargs["body"] = load(body_schema, _raw_body(op.body_format))
                    response = _respond(op, response_schema, dump_one, view(**kwargs))
                    if read_only:
                        end_read(session, state.cache)
                    else:
                        commit(session)
                except BaseException:
                    rollback(session)
                    raise
                return response

            wrapped.usercore_operation = op  # type: ignore[attr-defined]
            self.add_url_rule(rule, view.__name__, wrapped, methods=[method])
            return cast(F, wrapped)

        return decorator


def _respond(op: Operation, schema: Schema | None, dump_one: Dumper | None,
             result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return empty(op.status)
    if isinstance(result, Page):
        if dump_one is not None:
            response = jsonify([dump_one(item) for item in result.items])
        else:
            response = jsonify(schema.dump(result.items) if schema else list(result.items))
        response.headers.update(result.headers())
    elif dump_one is not None:
        response = jsonify(dump_one(result))
    else:
        response = jsonify(schema.dump(result) if schema else result)
    response.status_code = op.status
    return response


def end_read(session: AnySession, cache: dict[str, Any]) -> None:
    """End a read-only operation's transaction, then run its after-commit actions.

    With psycopg 3 a COMMIT, although nothing was written: on the server it costs what a
    ROLLBACK costs, but psycopg drops every prepared statement of the connection on a
    ROLLBACK, so a read that ended in one had its query parsed and planned again on every
    request (about 0.4 ms of PostgreSQL's CPU per token-authenticated read,
    benchmarks/README.md). The loaded objects are not expired by it (nothing changed). With
    other drivers the request's teardown ends the transaction (on SQLite that is cheaper
    than a commit). Changes a read made to loaded objects by mistake are never committed:
    the teardown drops them.
    """
    commits = cache.get(_COMMIT_READS)
    if commits is None:
        dialect = session.get_bind(Credential).dialect
        commits = cache[_COMMIT_READS] = (dialect.name, dialect.driver) == ("postgresql",
                                                                            "psycopg")
    if commits and not (session.new or session.dirty or session.deleted):
        plain = plain_session(session)
        expire, plain.expire_on_commit = plain.expire_on_commit, False
        try:
            plain.commit()
        finally:
            plain.expire_on_commit = expire
    run_after_commit(session)


def deps() -> Deps:
    """The services' collaborators of the current app."""
    return usercore_state().deps


def presented_token(*, cookie: bool | None = None) -> tuple[str | None, bool]:
    """The token of ``x-access-token``, ``Authorization: Bearer`` or the ``x-access-token``
    cookie, and whether it came from the cookie. The cookie counts when ``cookie`` is true,
    or by default when cookie authentication (``USERCORE_COOKIE_AUTH``) is on."""
    token = request.headers.get("x-access-token", "").strip()
    if not token:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if token:
        return token, False
    if cookie if cookie is not None else usercore_state().config.cookie_auth:
        token = request.cookies.get(COOKIE_NAME, "").strip()
    return token or None, bool(token)


def _trusted_origin() -> bool:
    """The request comes from a page of this site or a configured origin (CSRF defence)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return (origin in usercore_state().config.trusted_origins
                or origin == request.host_url.rstrip("/"))
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def authenticate_request(kinds: Collection[str], scopes: Collection[str]) -> Auth:
    """The caller of this request, checked against ``kinds`` and ``scopes``.

    401 without a valid bearer credential; 403 when its kind, role or scopes do not allow
    the call, or when an unsafe request carries only the cookie and does not come from a
    trusted origin.
    """
    token, from_cookie = presented_token()
    auth = resolve_token(deps(), token) if token else None
    if auth is None:
        raise Unauthorized("a valid access token is required" if token is None
                           else "the access token is invalid or expired")
    note_caller(auth)  # the request log names the caller of a refused call too
    if from_cookie and request.method in _UNSAFE and not _trusted_origin():
        raise Forbidden("a cookie-authenticated change must come from a trusted origin")
    check_access(auth, kinds=kinds, scopes=scopes, method=request.method)
    return auth


def current_auth() -> Auth:
    """The authenticated caller of this request (set by an operation that needs a token)."""
    return cast(Auth, g.usercore_auth)


def client_info() -> ClientInfo:
    """The client facts a service may record."""
    return ClientInfo(ip_address=request.remote_addr, user_agent=request.user_agent.string or None)


def request_body_limit() -> int:
    """The largest body the current request's operation accepts: ``max_body_bytes``, or
    more when the operation declares a ``body_limit``."""
    config = usercore_state().config
    view = current_app.view_functions.get(request.endpoint or "")
    op: Operation | None = getattr(view, "usercore_operation", None)
    if op is None or op.body_limit is None:
        return config.max_body_bytes
    return max(config.max_body_bytes, op.body_limit(config))


def _raw_body(body_format: BodyFormat) -> Any:
    """The request body as a mapping; an empty body is ``{}`` whatever its content type."""
    if body_format == "form":
        return request.form.to_dict()
    if body_format == "multipart":
        return {**request.form.to_dict(), **request.files.to_dict()}
    data = request.get_data(cache=True)
    if len(data) > request_body_limit():
        raise PayloadTooLarge()
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


def empty(status: int = 204) -> Response:
    """A response without a body (204, or the 200 of ``DELETE /v2/users/self``)."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
