"""Where a bearer token travels, and the cookie's origin check.

A token comes in the ``x-access-token`` header, as ``Authorization: Bearer``, or in the
``x-access-token`` cookie (set by ``?cookieOnly=true`` logins and the OAuth2 login page).
A cookie is sent by the browser on its own, so a change it authenticates must come from a
page of this site or of a trusted origin (CSRF).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, Response, request

from ..config import UserCoreConfig

#: The header and the cookie that carry an access token.
COOKIE_NAME = "x-access-token"
#: Methods that may change something: a cookie-authenticated one needs a trusted origin.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """A token the request presented, and whether it came from the cookie."""

    value: str
    from_cookie: bool = False


def presented_token(config: UserCoreConfig, *, cookie: bool | None = None,
                    req: Request | None = None) -> PresentedToken | None:
    """The token of ``x-access-token``, ``Authorization: Bearer`` or the cookie, or None.

    A header wins over the cookie. The cookie counts when ``cookie`` is true, or by default
    when cookie authentication (``USERCORE_COOKIE_AUTH``) is on.
    """
    req = req if req is not None else request
    token = req.headers.get(COOKIE_NAME, "").strip()
    if not token:
        scheme, _, value = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if token:
        return PresentedToken(token)
    if cookie if cookie is not None else config.cookie_auth:
        token = req.cookies.get(COOKIE_NAME, "").strip()
        if token:
            return PresentedToken(token, from_cookie=True)
    return None


def trusted_origin(config: UserCoreConfig, *, allow_null: bool = False,
                   req: Request | None = None) -> bool:
    """The request comes from a page of this site or a configured origin (CSRF defence).

    Without an ``Origin`` header the browser's ``Sec-Fetch-Site: same-origin`` counts;
    ``allow_null``: a request that names no origin at all (an HTML form of an old browser,
    ``Origin: null``) passes too (the form carries its own CSRF token).
    """
    req = req if req is not None else request
    origin = req.headers.get("Origin")
    if origin is None or (allow_null and origin == "null"):
        return allow_null or req.headers.get("Sec-Fetch-Site") == "same-origin"
    return origin in config.trusted_origins or origin == req.host_url.rstrip("/")


def set_session_cookie(response: Response, config: UserCoreConfig, token: str,
                       expires: object) -> None:
    """Put an access token into the HttpOnly ``x-access-token`` cookie of ``response``.

    It lives as long as the token (``Max-Age`` and ``Expires``) and is ``Secure`` when the
    request came over HTTPS (behind a proxy: ``ProxyFix``).
    """
    response.set_cookie(COOKIE_NAME, token, max_age=config.access_token_ttl,
                        expires=expires,  # type: ignore[arg-type]
                        httponly=True, secure=request.is_secure,
                        samesite=config.cookie_samesite, path="/")


def clear_session_cookie(response: Response, config: UserCoreConfig) -> None:
    """Delete the ``x-access-token`` cookie when the request carried one."""
    if COOKIE_NAME in request.cookies:
        response.delete_cookie(COOKIE_NAME, path="/", secure=request.is_secure,
                               httponly=True, samesite=config.cookie_samesite)
