"""The error hierarchy (DESIGN.md, "Wire rules"): each error has an HTTP status and a stable type.

Services raise these exceptions; ``flask_usercore.web.handlers`` turns every one of them, every
HTTP error and every unexpected exception raised under our URL prefix into the JSON bodies the
mittwald clients parse. This module imports nothing of Flask.

Messages are :class:`Message` objects (``N_("no user with this id")``,
``N_("at most %(count)s SSH keys can be stored", count=5)``): English text that keeps its
msgid and values, so the one place that builds the JSON (``to_json(translate)``, called by
``web/handlers.py`` with the request's gettext) puts it into the request's language
(docs/languages.md). ``type``, ``path``, ``code`` and ``context`` never change with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# The messages of the errors, re-exported: services import them from here.
from .messages import N_ as N_
from .messages import Message as Message
from .messages import Translate as Translate
from .messages import english as english
from .messages import translate_text as translate_text


@dataclass(frozen=True, slots=True)
class FieldError:
    """One item of ``validationErrors``: a JavaScript-notation path, a message and a type.

    A service names the field as its command does (``field="multi_factor_code"``, no
    path); the operation gives it the wire path the client sent (``.multiFactorCode``).
    """

    path: str
    message: str
    type: str
    context: dict[str, str] = field(default_factory=dict)
    #: The command field this error is about, when a service raised it.
    field: str | None = None

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        path = self.path
        if not path and self.field:  # not through an operation: the field's camelCase
            head, *rest = self.field.split("_")
            path = "." + head + "".join(part.title() for part in rest)
        body: dict[str, Any] = {"path": path, "message": translate_text(self.message, translate),
                                "type": self.type}
        if self.context:
            body["context"] = self.context
        return body


class UserCoreError(Exception):
    """Base of every error the API answers with; carries its HTTP status and a stable type."""

    status: int = 500
    type: str = "InternalServerError"
    message: str = N_("internal server error")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        """The JSON body; its messages in the language of ``translate``."""
        return {"type": self.type, "message": translate_text(self.message, translate),
                "code": self.status}

    def headers(self) -> dict[str, str]:
        return {}


class ValidationFailed(UserCoreError):
    """400 with ``{"type": "ValidationError", "validationErrors": [...]}``."""

    status = 400
    type = "ValidationError"
    message = N_("validation failed")

    def __init__(self, errors: Iterable[FieldError], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors)

    @classmethod
    def single(cls, path: str, type_: str, message: str) -> ValidationFailed:
        """One error on the wire path ``path`` (``.email``, or ``""`` for the whole body)."""
        return cls([FieldError(path, message, type_)], message)

    @classmethod
    def on(cls, field: str, type_: str, message: str) -> ValidationFailed:
        """One domain error on the command field ``field``, such as ``EmailInUse`` on
        ``email``: what services raise (the operation derives the wire path)."""
        return cls([FieldError("", message, type_, field=field)], message)

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        return {**super().to_json(translate),
                "validationErrors": [e.to_json(translate) for e in self.errors]}


class WrongCredentials(ValidationFailed):
    """401 of ``POST /v2/authenticate``: the ValidationErrors shape *without* ``message``."""

    status = 401

    def __init__(self, type_: str = "WrongCredentials",
                 message: str = N_("email or password is wrong")) -> None:
        super().__init__([FieldError("", message, type_)], message)

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        body = super().to_json(translate)
        del body["message"]
        return body


class Unauthorized(UserCoreError):
    status, type, message = 401, "Unauthorized", N_("a valid access token is required")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="usercore"'}


class ReauthenticationRequired(Unauthorized):
    """401: the operation changes how one signs in and the caller's session is not fresh
    (``USERCORE_REAUTH_MAX_AGE``), or the credential is no session; the password in the body
    or the ``x-apitree-password`` header, or a new login, lets it through. RFC 9470's
    ``insufficient_user_authentication`` challenge with ``max_age``."""

    type = "ReauthenticationRequired"
    message = N_("this change needs a recent login: send your password in the "
                 "x-apitree-password header (or the body's password), or log in again "
                 "(POST /v2/authenticate) and repeat the request")

    def __init__(self, max_age: int, message: str | None = None) -> None:
        super().__init__(message)
        self.max_age = max_age

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="usercore", '
                                    'error="insufficient_user_authentication", '
                                    'error_description="a recent login is required", '
                                    f"max_age={self.max_age}"}


class InvalidToken(Unauthorized):
    """401 for a bearer token that was presented but is unknown, expired or revoked: RFC 6750
    3.1's ``error="invalid_token"`` (a request without a token gets no error code)."""

    message = N_("the access token is invalid or expired")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="usercore", error="invalid_token"'}


class Forbidden(UserCoreError):
    status, type, message = 403, "Forbidden", N_("you may not access this resource")


class InsufficientScope(Forbidden):
    """403 for an OAuth2 access token whose scopes do not cover the operation (RFC 6750 3.1)."""

    message = N_("the access token does not grant the scope this operation needs")

    def __init__(self, scopes: Iterable[str] = (), message: str | None = None) -> None:
        super().__init__(message)
        self.scopes = " ".join(scopes)

    def headers(self) -> dict[str, str]:
        scope = f', scope="{self.scopes}"' if self.scopes else ""
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope"{scope}'}


class PermissionDenied(Forbidden):
    """403 ``PermissionDenied``: the user lacks a role or permission the view or operation
    needs (``auth_required(roles=, permissions=)``, the admin API); the body names them in
    ``missingRoles`` and ``missingPermissions``."""

    type = "PermissionDenied"

    def __init__(self, roles: Iterable[str] = (), permissions: Iterable[str] = (),
                 message: str | None = None) -> None:
        self.roles, self.permissions = sorted(roles), sorted(permissions)
        needed = [N_("role %(name)s", name=name) for name in self.roles]
        needed += [N_("permission %(name)s", name=name) for name in self.permissions]
        joined = needed[0] if needed else ""
        for more in needed[1:]:
            joined = N_("%(these)s and the %(that)s", these=joined, that=more)
        super().__init__(message or N_("this needs the %(needed)s", needed=joined))

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        return {**super().to_json(translate), "missingRoles": self.roles,
                "missingPermissions": self.permissions}


class AccountDisabled(Unauthorized):
    """401 ``AccountDisabled``: a credential of an account an admin has disabled."""

    type, message = "AccountDisabled", N_("this account has been disabled")


class NotFound(UserCoreError):
    status, type, message = 404, "NotFound", N_("the requested resource was not found")


class Conflict(UserCoreError):
    """409: the change clashes with what is stored (the same SSH key twice, a number that is
    already verified)."""

    status, type, message = 409, "Conflict", N_("the request conflicts with the current state")


class ProviderRefused(UserCoreError):
    """A sign-in or link by provider refused (docs/providers.md): 400
    ``ProviderSignInFailed`` (a wrong or replayed state, the provider's error, an ID token
    that fails its checks), 403 ``ProviderSignUpClosed``, 409 ``IdentityEmailInUse``,
    ``IdentityLinkedElsewhere``, ``ProviderAlreadyLinked``, ``LastSignInMethod``, 502
    ``ProviderUnreachable``."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status, self.type = status, type_


class PreconditionFailed(UserCoreError):
    """412: the resource is not in the state the operation needs (no phone number to remove)."""

    status, type, message = 412, "PreconditionFailed", N_("a precondition of this request failed")


class MethodNotAllowed(UserCoreError):
    """405; the ``Allow`` header lists the methods the URL has (RFC 9110 requires it)."""

    status, type, message = 405, "MethodNotAllowed", N_("the method is not allowed for this URL")

    def __init__(self, allowed: Iterable[str] = (), message: str | None = None) -> None:
        super().__init__(message)
        self.allowed = sorted(allowed)

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)} if self.allowed else {}


class DomainError(UserCoreError):
    """Bodies of the ``signup.DomainError`` shape: ``{"name", "message"}`` (202; 408 later)."""

    def to_json(self, translate: Translate = english) -> dict[str, Any]:
        return {"name": self.type, "message": translate_text(self.message, translate)}


class SecondFactorRequired(DomainError):
    """202: the user has MFA on; repeat the call with ``multiFactorCode``."""

    status, type = 202, "SecondFactorRequired"
    message = N_("a second factor is required: repeat the request with multiFactorCode")


class FirstFactorExpired(DomainError):
    """408 of ``POST /v2/authenticate-mfa``: no first factor remembered (none, used or expired)."""

    status, type = 408, "FirstAuthenticationFactorExpired"
    message = N_("the first factor has expired: call POST /v2/authenticate again")


class PayloadTooLarge(UserCoreError):
    status, type = 413, "PayloadTooLarge"
    message = N_("the request body is larger than this operation accepts")


class RateLimited(UserCoreError):
    status, type, message = 429, "RateLimitError", N_("too many requests")

    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__()
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class StorageUnavailable(UserCoreError):
    """503: the file storage refused the write (a read-only or missing folder, no permission,
    an I/O error); nothing was stored. Try again later."""

    status, type = 503, "StorageUnavailable"
    message = N_("the file storage is unavailable, try again later")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "60"}


class InsufficientStorage(UserCoreError):
    """507: the file storage is full (``ENOSPC``, a quota: ``EDQUOT``); nothing was stored."""

    status, type = 507, "InsufficientStorage"
    message = N_("the file storage is full")


class ServiceUnavailable(RateLimited):
    """503: the rate-limit storage (Redis) is unreachable and ``USERCORE_RATELIMIT_FAIL_OPEN``
    is off (see ``flask_usercore/runtime/guarded_storage.py``), or the database connection
    was lost or refused (``flask_usercore/runtime/outage.py``)."""

    status, type = 503, "ServiceUnavailable"
    message = N_("the service is temporarily unavailable, try again later")


