"""Commands of login and logout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Login:
    """``POST /v2/authenticate``: e-mail and password."""

    email: str
    password: str


@dataclass(frozen=True, slots=True)
class LoginQuery:
    """``?cookieOnly=true``: the session goes into the HttpOnly cookie, not the body."""

    cookie_only: bool = False
