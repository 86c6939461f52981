"""Passkeys (docs/passkeys.md): register, list, rename, remove; sign in with one, or answer
the second factor with one. Our own operations (tag ``Passkeys``), shaped like mittwald's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response

from ..commands.authentication import LoginQuery
from ..commands.empty import Empty
from ..commands.passkeys import (
    PasskeyLogin,
    PasskeyLoginOptions,
    PasskeySecondFactor,
    PasskeySecondFactorOptions,
    RegisterPasskey,
    RenamePasskey,
)
from ..models import Passkey
from ..schemas.authentication import AuthenticateQuery, TokenResult
from ..schemas.base import EmptySchema
from ..schemas.passkeys import (
    PasskeyCreatedSchema,
    PasskeyListSchema,
    PasskeyLoginOptionsSchema,
    PasskeyLoginSchema,
    PasskeyOptionsResult,
    PasskeySecondFactorOptionsSchema,
    PasskeySecondFactorSchema,
    RegisterPasskeySchema,
    RenamePasskeySchema,
)
from ..services import passkey_login, passkeys
from ..services.access import SESSION_ONLY
from ..services.authentication import IssuedSession
from ..web import CapabilityBlueprint, client_info, current_auth, deps
from .authentication import session_reply

bp = CapabilityBlueprint("passkeys", __name__)
F = TypeVar("F", bound=Callable[..., Any])
_PASSKEYS = "/users/self/passkeys"


def _op(method: str, rule: str, **declared: Any) -> Callable[[F], F]:
    return bp.operation(method, rule, tags=("Passkeys",), **declared)


@_op("POST", f"{_PASSKEYS}/registration-options",
     operation_id="user-passkey-registration-options", body=EmptySchema,
     summary="Get the options to register a passkey (a fresh session).",
     response=PasskeyOptionsResult, kinds=SESSION_ONLY, fresh=True)
def registration_options(body: Empty) -> dict[str, Any]:
    return {"public_key": passkeys.registration_options(deps(), current_auth())}


@_op("POST", _PASSKEYS, operation_id="user-create-passkey", status=201,
     summary="Register a passkey: the answer to its options.", body=RegisterPasskeySchema,
     response=PasskeyCreatedSchema, kinds=SESSION_ONLY, fresh=True)
def create_passkey(body: RegisterPasskey) -> Passkey:
    return passkeys.register(deps(), current_auth(), body)


@_op("GET", _PASSKEYS, operation_id="user-list-passkeys", summary="List your passkeys.",
     response=PasskeyListSchema)
def list_passkeys() -> list[Passkey]:
    return passkeys.user_passkeys(deps(), current_auth().user.id)


@_op("PUT", f"{_PASSKEYS}/<passkeyId>", operation_id="user-rename-passkey", status=204,
     summary="Rename a passkey.", body=RenamePasskeySchema, extra_statuses=(404,))
def rename_passkey(passkeyId: str, body: RenamePasskey) -> None:
    passkeys.rename(deps(), current_auth().user, passkeyId, body)


@_op("DELETE", f"{_PASSKEYS}/<passkeyId>", operation_id="user-delete-passkey", status=204,
     summary="Remove a passkey.", kinds=SESSION_ONLY, extra_statuses=(404,))
def delete_passkey(passkeyId: str) -> None:
    passkeys.remove(deps(), current_auth().user, passkeyId)


@_op("POST", "/authenticate-passkey/options", operation_id="user-passkey-login-options",
     kinds=(), summary="Get the options to sign in with a passkey.",
     body=PasskeyLoginOptionsSchema, response=PasskeyOptionsResult, rate_limit_group="login")
def login_options(body: PasskeyLoginOptions) -> dict[str, Any]:
    return {"public_key": passkey_login.login_options(deps(), body)}


@_op("POST", "/authenticate-passkey", operation_id="user-authenticate-passkey", kinds=(),
     summary="Sign in with a passkey: the answer to its options.", body=PasskeyLoginSchema,
     query=AuthenticateQuery, response=TokenResult, extra_statuses=(204, 401),
     rate_limit_group="login")
def authenticate_passkey(body: PasskeyLogin, query: LoginQuery) -> Response | IssuedSession:
    issued = passkey_login.authenticate(deps(), body, client_info())
    return session_reply(issued, query.cookie_only)


@_op("POST", "/authenticate-mfa-passkey/options",
     operation_id="user-passkey-second-factor-options", kinds=(),
     summary="Get the options to answer SecondFactorRequired with a passkey.",
     body=PasskeySecondFactorOptionsSchema, response=PasskeyOptionsResult,
     extra_statuses=(408,), rate_limit_group="login")
def second_factor_options(body: PasskeySecondFactorOptions) -> dict[str, Any]:
    return {"public_key": passkey_login.second_factor_options(deps(), body)}


@_op("POST", "/authenticate-mfa-passkey", operation_id="user-authenticate-mfa-passkey",
     kinds=(), summary="Validate your second factor with a passkey.",
     body=PasskeySecondFactorSchema, query=AuthenticateQuery, response=TokenResult,
     extra_statuses=(204, 408), rate_limit_group="login")
def authenticate_mfa_passkey(body: PasskeySecondFactor,
                             query: LoginQuery) -> Response | IssuedSession:
    issued = passkey_login.authenticate_second_factor(deps(), body, client_info())
    return session_reply(issued, query.cookie_only)
