"""The one place where errors become JSON, and the hooks that guard every URL under our prefix.

Every :class:`~flask_usercore.errors.UserCoreError`, every HTTP error and every unexpected
exception raised under our URL prefix is answered with the JSON bodies the mittwald clients
parse, their messages in the request's language (:func:`~flask_usercore.i18n.gettext`: the
errors carry :class:`~flask_usercore.errors.Message` objects, translated here and only here;
``type``, ``path``, ``code`` and ``context`` never change). Errors of other libraries that
already carry their own response (Authlib's RFC 6749 bodies and headers, in English) pass
through unchanged. Nothing here renders HTML. A lost or refused
database connection is a 503 ``ServiceUnavailable`` with ``Retry-After``, logged once per
outage (``runtime/outage.py``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException

from ..errors import (
    N_,
    Message,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    UserCoreError,
    ValidationFailed,
)
from ..i18n import gettext
from ..runtime.outage import OUTAGE, RETRY_AFTER, connection_error
from ..runtime.request_log import note_error

logger = logging.getLogger("flask_usercore")

_HTTP_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed",
               413: "PayloadTooLarge", 415: "UnsupportedMediaType"}

#: werkzeug's own descriptions of the HTTP errors (a routing 404 or 405), translatable.
_HTTP_TEXTS: dict[str, Message] = {text: text for text in (
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The requested URL was not found on the server. If you entered the URL manually "
       "please check your spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    N_("The server does not support the media type transmitted in the request."),
)}

#: ``environ`` key: the request is under our prefix (set by the ``before_request`` hook).
_GUARDED = "usercore.guarded"


def from_http(exc: HTTPException) -> UserCoreError:
    """The wire-rule error for a werkzeug HTTP exception (a routing 404/405, an abort())."""
    status = exc.code or 500
    if exc.description in _HTTP_TEXTS:
        exc.description = _HTTP_TEXTS[exc.description]
    if status == 429:
        retry = getattr(exc, "retry_after", None)
        return RateLimited(retry if isinstance(retry, int) else None)
    if status == 400:
        return ValidationFailed.single("", "invalid", exc.description or N_("bad request"))
    if status == 405:
        return MethodNotAllowed(getattr(exc, "valid_methods", None) or (), exc.description)
    if status == 413:
        return PayloadTooLarge()
    error = UserCoreError(exc.description or exc.name)
    error.status, error.type = status, _HTTP_TYPES.get(status, exc.name.replace(" ", ""))
    return error


def error_response(error: UserCoreError) -> Response:
    """Render ``error`` as the JSON body and status of the wire rules, its messages in the
    request's language."""
    note_error(error)
    response = jsonify(error.to_json(gettext))
    response.status_code = error.status
    response.headers.update(error.headers())
    return response


def _statement_error(exc: BaseException) -> StatementError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StatementError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def log_unhandled(exc: BaseException) -> None:
    """Log an unexpected error; a database error without its parameters or driver message.

    The driver's message (``DETAIL: Key (email)=(...)``) and the bound parameters may hold
    e-mail addresses, names and password hashes: only the error class, its SQLSTATE, the SQL
    text and the stack are logged.
    """
    database = _statement_error(exc)
    if database is None:
        logger.error("unhandled error in %s %s", request.method, request.path,
                     exc_info=(type(exc), exc, exc.__traceback__))
        return
    orig = database.orig
    logger.error("database error in %s %s: %s (SQLSTATE %s)\nSQL: %s\n%s",
                 request.method, request.path, type(orig or database).__name__,
                 getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "-",
                 database.statement,
                 "".join(traceback.format_tb(exc.__traceback__)).rstrip())


def register_error_handlers(bp: Blueprint, rollback: Callable[[], None]) -> None:
    """Install the one JSON error handler on our blueprint (and so on its children).

    The host's own routes keep the host's error handling: nothing is registered on the app.
    """

    def handle(exc: Exception) -> Any:
        try:
            rollback()
        except Exception as failed:  # the connection is gone: nothing left to roll back
            if connection_error(failed) is None:
                raise
        if isinstance(exc, UserCoreError):
            return error_response(exc)
        if isinstance(exc, HTTPException):
            if exc.response is not None or (exc.code is not None and exc.code < 400):
                return exc  # carries its own answer (Authlib's OAuth2 errors, redirects)
            return error_response(from_http(exc))
        lost = connection_error(exc)
        if lost is not None:  # the database is restarting or down: a 503, logged once
            OUTAGE.seen(lost)
            return error_response(ServiceUnavailable(RETRY_AFTER))
        log_unhandled(exc)
        return error_response(UserCoreError())

    bp.register_error_handler(Exception, handle)


def guard_prefix(max_body_bytes: Callable[[], int]) -> Callable[[BlueprintSetupState], None]:
    """A ``Blueprint.record`` callback installing the app hooks limited to our URL prefix.

    - routing errors (404, 405) under the prefix answer with the JSON body: routing fails
      before any blueprint is chosen, so a blueprint error handler never sees them;
    - a body larger than ``max_body_bytes()`` is a 413 before it is read (a declared
      ``Content-Length`` at once, a chunked body when it is read past the limit);
    - every response carries ``Cache-Control: no-store`` (unless the view set its own) and
      ``X-Content-Type-Options: nosniff``.
    The host's own routes are left alone.
    """

    def record(state: BlueprintSetupState) -> None:
        prefix = state.url_prefix or ""
        below = prefix + "/"

        def before() -> Response | None:
            environ = request.environ
            path = environ.get("PATH_INFO", "")
            if not (path == prefix or path.startswith(below)):
                return None
            environ[_GUARDED] = True
            exc = request.routing_exception
            if isinstance(exc, HTTPException) and (exc.code or 500) >= 400:
                return error_response(from_http(exc))
            limit = max_body_bytes()
            length = request.content_length
            if length is not None and length > limit:
                return error_response(PayloadTooLarge())
            # Read at most one byte past the limit: a body without a length (chunked) that
            # has it is too large (``read_body`` refuses it) instead of silently cut.
            request.max_content_length = limit + 1
            return None

        def after(response: Response) -> Response:
            if request.environ.get(_GUARDED):
                headers = response.headers
                if "Cache-Control" not in headers:
                    headers.add("Cache-Control", "no-store")
                headers.add("X-Content-Type-Options", "nosniff")
            return response

        state.app.before_request(before)
        state.app.after_request(after)

    return record
