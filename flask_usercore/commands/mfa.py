"""Commands of the MFA operations: the MFA login and the code that confirms a change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuthenticateMfa:
    """``POST /v2/authenticate-mfa``: the password again and the second factor."""

    email: str
    password: str
    multi_factor_code: str


@dataclass(frozen=True, slots=True)
class MultiFactorCode:
    """``POST``, ``PUT`` and ``DELETE .../credentials/mfa``: confirm the set-up, replace
    the recovery codes, disable MFA."""

    multi_factor_code: str
