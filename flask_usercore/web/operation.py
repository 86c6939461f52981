"""How our operations are declared and run: one decorator is the single source of an
operation's method, path, status, request and response schemas, who may call it and how it
runs.

The wrapper it installs does, in order: rate limit, the one authenticator
(:mod:`.authenticator`), load the query and body with the declared schemas into commands
(:mod:`.loading`), call the view, dump the result with the declared response schema and
status, and end the operation's unit of work once
(:class:`~flask_usercore.runtime.unit_of_work.UnitOfWork`): a commit (or the end of a read)
followed by the after-commit actions (mail, SMS, signals). Any error, or an answer the view
built itself with a status of 400 or more, rolls everything back. A view is: take ``body``
and ``query``, call one service, return what it returned.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, TypeVar, cast

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema

from .. import i18n
from ..config import UserCoreConfig
from ..errors import ValidationFailed
from ..hooks import Mail
from ..runtime.unit_of_work import RunMode, UnitOfWork
from ..schemas.compiled import Dumper, compiled_dumper
from ..services import reauth, throttle
from ..services.access import USER_KINDS
from ..services.context import Deps, deliver
from ..state import usercore_state
from .authenticator import authenticate, current_auth
from .loading import BodyFormat, header_password, load_body, load_query, wire_errors, wire_name

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("flask_usercore")
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Page:
    """A list reply: the items of one page and the pagination facts sent as headers
    (``X-Pagination-Limit``, ``-Skip``, ``-Page``, ``-TotalCount``)."""

    items: Sequence[Any]
    total: int
    limit: int
    skip: int
    #: Send the pagination headers (a list the document does not paginate has none).
    paginated: bool = True

    @classmethod
    def whole(cls, items: Sequence[Any], *, paginated: bool = True) -> Page:
        """Every item on one page."""
        return cls(items, len(items), len(items), 0, paginated)

    @property
    def page(self) -> int:
        """The 1-based page number of ``skip`` at ``limit`` items per page."""
        return self.skip // self.limit + 1 if self.limit else 1

    def headers(self) -> dict[str, str]:
        if not self.paginated:
            return {}
        return {"X-Pagination-Limit": str(self.limit), "X-Pagination-Skip": str(self.skip),
                "X-Pagination-Page": str(self.page), "X-Pagination-TotalCount": str(self.total)}


@dataclass(frozen=True, slots=True)
class Reply:
    """A result answered with another of the operation's declared statuses (its
    ``alternatives``: the login's 202), dumped by the schema declared for it."""

    value: Any
    status: int


@dataclass(frozen=True, slots=True)
class AfterResponse:
    """A result whose work runs once the answer has been sent (an operation declared
    ``runs=RunMode.AFTER_RESPONSE``): ``value`` is answered at once, then ``work`` runs in
    a unit of work of its own and the mail it returns is delivered (through the outbox, in
    that unit of work). A failure of the work
    is logged, never raised (the answer is gone)."""

    work: Callable[[Deps], Mail | None]
    value: Any = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer a view builds itself (the OAuth2 endpoints), as the OpenAPI document shows
    it. ``media``: ``"oauth2"`` RFC 6749's error body, ``"error"`` the wire rules' error,
    ``"html"`` a page, ``"json"`` the body ``schema``, ``"none"`` no body (a redirect).
    ``headers``: the headers it carries (``Location``, ``WWW-Authenticate``)."""

    status: int
    description: str
    media: tuple[Literal["oauth2", "error", "html", "json", "none"], ...] = ("oauth2",)
    schema: type[Schema] | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Documented:
    """The request and answers of a view that reads its request itself (the OAuth2
    endpoints: Authlib and ``oauth2/hygiene.py`` check their parameters and answer RFC 6749
    errors). The wrapper loads none of it; the OpenAPI document shows it.

    ``query`` and ``form``: the parameters (a form body is required); ``unknown``: the JSON
    Schema keywords (``propertyNames``, ``additionalProperties``) of the form's parameters
    that ``form`` does not name;
    ``credentials``: the client's HTTP Basic credentials (``"client"``, RFC 6749 2.3.1) or
    the resource owner's optional session token (``"owner"``: header or cookie).
    """

    query: type[Schema] | None = None
    form: type[Schema] | None = None
    unknown: Mapping[str, Any] | None = None
    credentials: Literal["client", "owner"] | None = None
    answers: tuple[Answer, ...] = ()


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
    #: A safe method that writes all the same (``GET .../support-code`` issues a code).
    writes: bool = False
    #: How its unit of work runs (default: READ for a safe method that does not write,
    #: else WRITE).
    runs: RunMode = RunMode.WRITE
    #: The command field of the confirming password, which the ``x-apitree-password``
    #: header may carry instead of the body.
    confirmation: str | None = None
    #: Schemas of the other statuses a view may answer with a :class:`Reply`.
    alternatives: tuple[tuple[int, type[Schema]], ...] = ()
    #: It changes how one signs in: it needs a fresh session or the password (the
    #: ``confirmation`` field, else the ``x-apitree-password`` header), else 401
    #: ``ReauthenticationRequired`` (``services/reauth.py``).
    fresh: bool = False
    #: It mails a code or a link on request: the command field of the recipient's address,
    #: counted per recipient and per account against ``USERCORE_RATELIMIT_MAIL``
    #: (``services/throttle.py``); the account is the command field ``mail_account`` (a
    #: user id), else the caller's.
    mail_to: str | None = None
    mail_account: str | None = None
    #: Permissions the caller's user must hold (``services/roles.py``; the admin API's).
    permissions: tuple[str, ...] = ()
    #: What a view that reads its request itself documents (:class:`Documented`).
    documented: Documented | None = None

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
                  writes: bool = False, runs: RunMode | None = None,
                  confirmation: str | None = None,
                  alternatives: dict[int, type[Schema]] | None = None,
                  tags: Sequence[str] = ("User",),
                  error_format: Literal["wire", "oauth2"] = "wire",
                  fresh: bool = False, mail_to: str | None = None,
                  mail_account: str | None = None,
                  permissions: Sequence[str] = (),
                  documented: Documented | None = None) -> Callable[[F], F]:
        """Declare ``view`` as the operation ``method rule`` (see :class:`Operation`).

        The view receives the path variables, ``body=`` (when ``body`` is declared) and
        ``query=`` (when ``query`` is declared), and returns the object to dump with
        ``response`` (a :class:`Page` when ``many``), a :class:`Reply` for one of the
        ``alternatives``, an :class:`AfterResponse`, None for an empty ``status`` reply, or
        a ready ``Response``. ``tags``: ``("User",)`` for mittwald's operations; ours that
        mittwald's document lacks are tagged otherwise (``OAuth2``). ``documented``: the
        request and answers of a view that reads its request itself (:class:`Documented`).
        """
        if runs is None:
            runs = RunMode.READ if method in _SAFE and not writes else RunMode.WRITE
        op = Operation(method, rule, operation_id, summary, status, body, response, query,
                       frozenset(kinds), tuple(scopes), body_format, many, extra_statuses,
                       rate_limit_group, tuple(tags), body_limit=body_limit,
                       error_format=error_format, writes=writes, runs=runs,
                       confirmation=confirmation,
                       alternatives=tuple((alternatives or {}).items()), fresh=fresh,
                       mail_to=mail_to, mail_account=mail_account,
                       permissions=tuple(permissions), documented=documented)
        body_schema = body() if body else None
        query_schema = query() if query else None
        response_schema = response(many=many) if response else None
        #: The response schema's dump of one item, compiled (schemas/compiled.py), if it can be.
        dump_one = compiled_dumper(response()) if response else None
        others = {code: compiled_dumper(schema()) or schema().dump
                  for code, schema in op.alternatives}

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(**kwargs: Any) -> Response:
                state = usercore_state()
                uow = state.deps.uow
                try:
                    if op.rate_limit_group:
                        state.limiter.hit(op.rate_limit_group, request.remote_addr or "")
                    uow.start(op.runs)
                    if op.kinds:
                        authenticate(op.kinds, op.scopes, permissions=op.permissions)
                    if op.fresh and not op.confirmation:  # header only: before the body
                        _recent_authentication(op, body_schema, None)
                    if query_schema is not None:
                        kwargs["query"] = load_query(query_schema)
                    if body_schema is not None:
                        kwargs["body"] = load_body(
                            body_schema, op.body_format, None if op.fresh else op.confirmation,
                            request_body_limit())
                    if op.fresh and op.confirmation:
                        _recent_authentication(op, body_schema, kwargs["body"])
                    if op.mail_to:
                        _count_mail(op, kwargs["body"])
                    try:
                        result = view(**kwargs)
                    except ValidationFailed as exc:
                        raise wire_errors(exc, body_schema) from None
                    response = _respond(op, response_schema, dump_one, others, result)
                    if response.status_code >= 400:
                        uow.rollback()  # an answer the view built: a refusal
                    elif op.runs in (RunMode.READ, RunMode.AFTER_RESPONSE):
                        uow.end_read()
                    else:
                        uow.commit()
                except BaseException:
                    uow.rollback()
                    raise
                if isinstance(result, AfterResponse):
                    after_response(response, result.work)
                return response

            wrapped.usercore_operation = op  # type: ignore[attr-defined]
            self.add_url_rule(rule, view.__name__, wrapped, methods=[method])
            return cast(F, wrapped)

        return decorator


def _recent_authentication(op: Operation, schema: Schema | None, body: Any) -> None:
    """The check of an operation declared ``fresh``: a fresh session, or the password of
    the ``confirmation`` field or the ``x-apitree-password`` header."""
    password = getattr(body, op.confirmation) if op.confirmation else None
    wire = wire_name(schema, op.confirmation) if op.confirmation else ""
    if password is None:
        password = header_password(wire)
    try:
        reauth.require_recent(deps(), current_auth(), password, field=op.confirmation or "")
    except ValidationFailed as exc:
        raise wire_errors(exc, schema) from None


def _count_mail(op: Operation, body: Any) -> None:
    """Count the mail of an operation declared ``mail_to`` per recipient and account."""
    account = (getattr(body, op.mail_account) if op.mail_account
               else current_auth().user.id if op.kinds else None)
    throttle.throttle_mail(deps(), recipient=getattr(body, cast(str, op.mail_to)),
                           account=account)


def _respond(op: Operation, schema: Schema | None, dump_one: Dumper | None,
             others: dict[int, Callable[[Any], Any]], result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, AfterResponse):
        result = result.value
    if isinstance(result, Reply):
        response = jsonify(others[result.status](result.value))
        response.status_code = result.status
        return response
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
    if op.status != 200:  # jsonify's own; setting it again costs a status parse
        response.status_code = op.status
    return response


def after_response(response: Response, work: Callable[[Deps], Mail | None]) -> None:
    """Run ``work`` once ``response`` has been sent, in an app context and a unit of work
    of its own; the mail it returns is written to the outbox in that unit of work and sent
    after its commit. It speaks the request's language (the mail's text).

    The work runs when the server closes the response (WSGI's ``close()``), or else when
    the response is dropped: Werkzeug's development server (``flask run``) skips the close
    when the client resets the connection after reading the answer (a browser following
    a redirect does, now and then). Either way it runs once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    locale = i18n.current_locale()
    pending = [work]

    def run() -> None:
        try:
            pending.pop()
        except IndexError:  # ran already: at the close, now the response is dropped
            return
        with app.app_context(), i18n.speaking(locale):
            deps = usercore_state().deps
            uow: UnitOfWork = deps.uow
            try:
                uow.start(RunMode.WRITE)
                mail = work(deps)
                if mail is not None:
                    deliver(deps, mail)  # into the outbox, in the work's transaction
                uow.commit()  # then sent
            except Exception:
                uow.rollback()
                logger.exception("work after the response of %s failed", work)

    response.call_on_close(run)
    weakref.finalize(response, run).atexit = False  # never run while the process exits


def current_operation() -> Operation | None:
    """The operation of the current request, or None (a host's route, a 404)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "usercore_operation", None)


def request_body_limit() -> int:
    """The largest body the current request's operation accepts: ``max_body_bytes``, or
    more when the operation declares a ``body_limit``."""
    config = usercore_state().config
    op = current_operation()
    if op is None or op.body_limit is None:
        return config.max_body_bytes
    return max(config.max_body_bytes, op.body_limit(config))


def empty(status: int = 204) -> Response:
    """A response without a body (204, or the 200 of ``DELETE /v2/users/self``)."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def deps() -> Deps:
    """The services' collaborators of the current app."""
    return usercore_state().deps
