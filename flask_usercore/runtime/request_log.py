"""Structured log records: one per request under our URL prefix, on the logger
``flask_usercore.request``, that a host routes to its log system.

Each record's ``extra`` attributes (see :data:`FIELDS`): ``request_id``, ``operation_id``
(mittwald's operationId), ``method``, ``route`` (the rule, ``/v2/users/<userId>``), ``path``
(without the query string), ``status``, ``outcome`` (``ok``, ``client_error``,
``server_error``), ``error_type`` and ``error_reason`` (the error body's ``type`` and the types
of its ``validationErrors``), ``user_id`` and ``credential_kind`` (when a valid credential
was presented, also when its kind or scopes are then refused), ``duration_ms`` and
``client_ip`` (``request.remote_addr``: ProxyFix applies).
Level INFO, ERROR for a 5xx. Never a secret: no header but the request id, no body, no query
string, no token, password or code.

The records are built only when the logger is enabled for their level, so they cost next to
nothing when nobody listens; the request id is always echoed in the response. A host::

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.getLogger("flask_usercore.request").addHandler(handler)
    logging.getLogger("flask_usercore.request").setLevel(logging.INFO)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import time
from typing import Any, Protocol, cast

from flask import Request, Response, current_app, g, has_request_context, request
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable
from werkzeug.http import HTTP_STATUS_CODES

from ..config import UserCoreConfig
from ..errors import UserCoreError, ValidationFailed


class Caller(Protocol):
    """What the log records of an authenticated caller (an ``Auth``)."""

    @property
    def user(self) -> Any: ...
    @property
    def kind(self) -> str: ...

LOGGER_NAME = "flask_usercore.request"
logger = logging.getLogger(LOGGER_NAME)

#: The ``extra`` attributes of a request record, in the order :class:`JsonFormatter` writes them.
FIELDS = ("request_id", "operation_id", "method", "route", "path", "status", "outcome",
          "error_type", "error_reason", "user_id", "credential_kind", "duration_ms",
          "client_ip")

#: ``environ`` keys: the start time, the request id, the error rendered.
_START = "usercore.request_start"
_ID = "usercore.request_id"
_ERROR = "usercore.request_error"
_CALLER = "usercore.request_caller"
#: An incoming request id is used only when it is such a token, else one is generated.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_SAFE_WORD = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_PATH = 256
_MAX_REASONS = 5


def install(state: BlueprintSetupState, config: UserCoreConfig) -> None:
    """For a ``Blueprint.record`` callback: the app hooks that time, identify and log every
    request under the blueprint's prefix (nothing when ``USERCORE_REQUEST_LOG`` is off in
    ``config``).

    Registered before the prefix guard, so that a request the guard refuses (routing 404/405,
    413) is logged too.
    """
    if not config.request_log:
        return
    prefix = state.url_prefix or ""
    below = prefix + "/"
    header = config.request_id_header

    def before() -> None:
        environ = request.environ
        path = environ.get("PATH_INFO", "")
        if path == prefix or path.startswith(below):
            environ[_START] = time.perf_counter()
            incoming = environ.get("HTTP_" + header.upper().replace("-", "_"), "")
            environ[_ID] = incoming if _SAFE_ID.fullmatch(incoming) else new_request_id()

    def after(response: Response) -> Response:
        req: Request = cast(Any, request)._get_current_object()
        start = req.environ.get(_START)
        if start is None:
            return response
        response.headers[header] = req.environ[_ID]
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        if logger.isEnabledFor(level):
            emit(level, req, response, time.perf_counter() - start)
        return response

    state.app.before_request(before)
    state.app.after_request(after)


def new_request_id() -> str:
    """32 hex digits of 128 random bits. Unique, not secret: Python's generator (reseeded in
    every forked worker) costs a fraction of a microsecond, ``uuid4`` a system call."""
    return f"{random.getrandbits(128):032x}"


def note_error(error: UserCoreError) -> None:
    """Remember the error the current request answers with (its type goes into the record)."""
    if has_request_context():
        request.environ[_ERROR] = error


def note_caller(auth: Caller) -> None:
    """Remember whose credential the current request presented, before its kind and scopes
    are checked (so a 403 names the caller)."""
    request.environ[_CALLER] = auth


def request_id() -> str | None:
    """The id of the current request (incoming or generated), for the host's own records;
    None outside a request under our prefix or when ``USERCORE_REQUEST_LOG`` is off."""
    return request.environ.get(_ID) if has_request_context() else None


def outcome(status: int) -> str:
    """``ok`` below 400, ``client_error`` for a 4xx, ``server_error`` for a 5xx."""
    return "ok" if status < 400 else "client_error" if status < 500 else "server_error"


def emit(level: int, req: Request, response: Response, seconds: float) -> None:
    """Log the record of request ``req``, answered with ``response`` after ``seconds``."""
    environ = req.environ
    status = response.status_code
    rule = req.url_rule
    view = current_app.view_functions.get(req.endpoint or "")
    op = getattr(view, "usercore_operation", None)
    error_type, error_reason = _error(environ.get(_ERROR), response)
    auth = g.get("usercore_auth") or environ.get(_CALLER)
    extra: dict[str, Any] = {
        "request_id": environ.get(_ID),
        "operation_id": op.operation_id if op is not None else None,
        "method": _clean(req.method, 16),
        "route": rule.rule if rule is not None else None,
        "path": _clean(req.path, _MAX_PATH),
        "status": status,
        "outcome": outcome(status),
        "error_type": error_type,
        "error_reason": error_reason,
        "user_id": _user_id(auth.user) if auth is not None else None,
        "credential_kind": auth.kind if auth is not None else None,
        "duration_ms": round(seconds * 1000, 2),
        "client_ip": req.remote_addr,
    }
    logger.log(level, "%s %s %s %s", extra["method"], extra["route"] or extra["path"],
               status, extra["outcome"], extra=extra)


def _clean(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, control characters escaped (no forged lines)."""
    text = text[:limit]
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _user_id(user: Any) -> str | None:
    """The user's id from the identity map: no SQL, even when the commit expired the object."""
    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:  # not a mapped object: its own ``id``
        return str(user.id)
    return str(identity[0]) if identity else None


def _error(error: object, response: Response) -> tuple[str | None, str | None]:
    """The type of the error body we rendered and its validation items' types; for an error
    we did not render (Authlib's RFC 6749 bodies) the ``error`` code of the body, else the
    status name."""
    if isinstance(error, UserCoreError):
        reason = None
        if isinstance(error, ValidationFailed):
            types = list(dict.fromkeys(item.type for item in error.errors))
            reason = ",".join(types[:_MAX_REASONS]) or None
        return error.type, reason
    if response.status_code < 400:
        return None, None
    if response.is_json:
        body = response.get_json(silent=True)
        code = body.get("error") if isinstance(body, dict) else None
        if isinstance(code, str) and _SAFE_WORD.fullmatch(code):
            return code, None
    return HTTP_STATUS_CODES.get(response.status_code, "Error").replace(" ", ""), None


class JsonFormatter(logging.Formatter):
    """Renders a record as one JSON line: ``time`` (RFC 3339 UTC), ``level``, ``logger``,
    ``message``, then the request fields (:data:`FIELDS`) the record has, and
    ``exc_info`` when it carries an exception. ``handler.setFormatter(JsonFormatter())``.
    """

    #: The record attributes written after the standard ones (a subclass may add its own).
    fields: tuple[str, ...] = FIELDS

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line (newlines in values are escaped)."""
        created = dt.datetime.fromtimestamp(record.created, dt.UTC)
        line: dict[str, Any] = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.fields:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
