"""The error hierarchy and the one JSON handler (DESIGN.md, "Wire rules").

Services raise these exceptions; :func:`register_error_handlers` turns every one of them, every
HTTP error and every unexpected exception raised under our URL prefix into the JSON bodies the
mittwald clients parse. Nothing here renders HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

logger = logging.getLogger("flask_usercore")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One item of ``validationErrors``: a JavaScript-notation path, a message and a type."""

    path: str
    message: str
    type: str
    context: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path, "message": self.message, "type": self.type}
        if self.context:
            body["context"] = self.context
        return body


class UserCoreError(Exception):
    """Base of every error the API answers with; carries its HTTP status and a stable type."""

    status: int = 500
    type: str = "InternalServerError"
    message: str = "internal server error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "code": self.status}

    def headers(self) -> dict[str, str]:
        return {}


class ValidationFailed(UserCoreError):
    """400 with ``{"type": "ValidationError", "validationErrors": [...]}``."""

    status = 400
    type = "ValidationError"
    message = "validation failed"

    def __init__(self, errors: Iterable[FieldError], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors)

    @classmethod
    def single(cls, path: str, type_: str, message: str) -> ValidationFailed:
        """One domain error, such as ``EmailInUse`` on ``.email``."""
        return cls([FieldError(path, message, type_)], message)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "validationErrors": [e.to_json() for e in self.errors]}


class WrongCredentials(ValidationFailed):
    """401 of ``POST /v2/authenticate``: the ValidationErrors shape *without* ``message``."""

    status = 401

    def __init__(self, type_: str = "WrongCredentials",
                 message: str = "email or password is wrong") -> None:
        super().__init__([FieldError("", message, type_)], message)

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        del body["message"]
        return body


class Unauthorized(UserCoreError):
    status, type, message = 401, "Unauthorized", "a valid access token is required"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="usercore"'}


class Forbidden(UserCoreError):
    status, type, message = 403, "Forbidden", "you may not access this resource"


class NotFound(UserCoreError):
    status, type, message = 404, "NotFound", "the requested resource was not found"


class MethodNotAllowed(UserCoreError):
    """405; the ``Allow`` header lists the methods the URL has (RFC 9110 requires it)."""

    status, type, message = 405, "MethodNotAllowed", "the method is not allowed for this URL"

    def __init__(self, allowed: Iterable[str] = (), message: str | None = None) -> None:
        super().__init__(message)
        self.allowed = sorted(allowed)

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)} if self.allowed else {}


class DomainError(UserCoreError):
    """Bodies of the ``signup.DomainError`` shape: ``{"name", "message"}`` (202; 408 later)."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.type, "message": self.message}


class SecondFactorRequired(DomainError):
    """202: the user has MFA on; repeat the call with ``multiFactorCode``."""

    status, type = 202, "SecondFactorRequired"
    message = "a second factor is required: repeat the request with multiFactorCode"


class RateLimited(UserCoreError):
    status, type, message = 429, "RateLimitError", "too many requests"

    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__()
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


_HTTP_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed",
               413: "PayloadTooLarge", 415: "UnsupportedMediaType"}


def from_http(exc: HTTPException) -> UserCoreError:
    """The wire-rule error for a werkzeug HTTP exception (a routing 404/405, an abort())."""
    status = exc.code or 500
    if status == 429:
        retry = getattr(exc, "retry_after", None)
        return RateLimited(retry if isinstance(retry, int) else None)
    if status == 400:
        return ValidationFailed.single("", "invalid", exc.description or "bad request")
    if status == 405:
        return MethodNotAllowed(getattr(exc, "valid_methods", None) or (), exc.description)
    error = UserCoreError(exc.description or exc.name)
    error.status, error.type = status, _HTTP_TYPES.get(status, exc.name.replace(" ", ""))
    return error


def error_response(error: UserCoreError) -> Response:
    """Render ``error`` as the JSON body and status of the wire rules."""
    response = jsonify(error.to_json())
    response.status_code = error.status
    response.headers.update(error.headers())
    return response


def register_error_handlers(bp: Blueprint, rollback: Callable[[], None]) -> None:
    """Install the one JSON error handler on our blueprint (and so on its children).

    The host's own routes keep the host's error handling: nothing is registered on the app.
    """

    def handle(exc: Exception) -> Any:
        rollback()
        if isinstance(exc, UserCoreError):
            return error_response(exc)
        if isinstance(exc, HTTPException):
            if exc.code is not None and exc.code < 400:
                return exc
            return error_response(from_http(exc))
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(UserCoreError())

    bp.register_error_handler(Exception, handle)
