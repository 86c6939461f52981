"""Input hygiene of every OAuth2 request, checked before Authlib (or a query) sees it.

Each parameter of an OAuth2 request, its name and every value, in the query, in a form body
and in HTTP Basic client credentials, must be valid UTF-8 text without control characters
(the rule of ``schemas/text.py``: no NUL, no C0 or C1 control, no lone surrogate, no U+2028
or U+2029) and of a sane length (:data:`LIMITS`, else :data:`DEFAULT_LIMIT`; the limits of
what the database stores). A request that breaks the rule is refused with RFC 6749's
``invalid_request`` (``views.py`` and ``pages.py`` render it), or ``invalid_client`` when the
HTTP Basic credentials break it (they authenticate no client), and never reaches the
database: PostgreSQL cannot store a NUL, nor a ``nonce`` longer than its column.

A refusal's description names a parameter only when it is one of :data:`KNOWN`, and never
repeats a value: error descriptions are printable ASCII (:func:`ascii_text`).

Nothing here imports Authlib (``views.py`` imports this module at start).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, unquote_to_bytes

from flask import request
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from ..schemas.text import check_characters

#: The longest value of any parameter without a limit of its own.
DEFAULT_LIMIT = 4096
#: The longest parameter name.
NAME_LIMIT = 128
#: Parameters with a limit of their own: what the database stores (a code's ``nonce`` and
#: ``scope``, a token's client), RFC 7636's PKCE strings, a registered redirect URI.
LIMITS = {"client_id": 255, "nonce": 255, "scope": 255, "code_challenge": 128,
          "code_verifier": 128, "redirect_uri": 2048}
#: The parameters a refusal may name: RFC 6749, 7009, 7636, 7662, OpenID Connect, mittwald's
#: ``grant_consent`` and ``multi_factor_code``, the fields of the login and consent pages.
KNOWN = frozenset({
    "response_type", "client_id", "client_secret", "redirect_uri", "scope", "state",
    "grant_type", "grant_consent", "code", "code_challenge", "code_challenge_method",
    "code_verifier", "refresh_token", "username", "password", "multi_factor_code", "token",
    "token_type_hint", "nonce", "prompt", "response_mode", "max_age", "login_hint",
    "id_token_hint", "ui_locales", "display", "acr_values", "claims", "request",
    "request_uri", "csrf_token", "email", "decision"})
#: What the form and query parsers hand over: a MultiDict's ``items(multi=True)``.
Pairs = Iterable[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class BadInput:
    """Why a request is refused (printable ASCII, no value repeated), the names of the
    parameters refused (so that none of them is echoed to the client) and RFC 6749's error
    code."""

    description: str
    names: frozenset[str]
    error: str = "invalid_request"


def ascii_text(text: str) -> str:
    """``text`` reduced to what RFC 6749 allows in an error description: printable ASCII
    without ``"`` and ``\\`` (``%x20-21 / %x23-5B / %x5D-7E``)."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')


def _label(name: str) -> str:
    return name if name in KNOWN else "a parameter"


def value_problem(name: str, value: str) -> str | None:
    """What is wrong with ``value`` as the parameter ``name``, or None."""
    try:
        check_characters(value)
    except ValidationError:
        return f"{_label(name)} must not contain control characters"
    limit = LIMITS.get(name, DEFAULT_LIMIT)
    if len(value) > limit:
        return f"{_label(name)} must be at most {limit} characters"
    return None


def name_problem(name: str) -> str | None:
    """What is wrong with a parameter's name, or None."""
    if name in KNOWN:
        return None
    try:
        check_characters(name)
    except ValidationError:
        return "a parameter name must not contain control characters"
    if len(name) > NAME_LIMIT:
        return f"a parameter name must be at most {NAME_LIMIT} characters"
    return None


def not_utf8(raw: bytes) -> set[str]:
    """The names of the pairs of a raw query string or urlencoded body whose name or value
    is not valid UTF-8 once percent-decoded (the parsers keep such bytes percent-encoded)."""
    bad: set[str] = set()
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            for part in (name, value):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            bad.add(unquote(name.replace(b"+", b" ").decode("latin-1"), errors="replace"))
    return bad


def check_pairs(pairs: Pairs, raw: bytes | None = None) -> BadInput | None:
    """The problem of a query or form: its raw bytes (when known) and its parsed pairs."""
    problems: list[str] = []
    names: set[str] = set()
    if raw:
        for name in sorted(not_utf8(raw)):
            problems.append(f"{_label(name)} must be UTF-8 text")
            names.add(name)
    for name, value in pairs:
        problem = name_problem(name) or value_problem(name, value)
        if problem is not None:
            problems.append(problem)
            names.add(name)
    if not problems:
        return None
    return BadInput(ascii_text(problems[0]), frozenset(names))


_CLIENT = "invalid_client"


def check_basic(header: str | None) -> BadInput | None:
    """The problem of HTTP Basic client credentials (RFC 6749 2.3.1: the client id and
    secret are form-urlencoded, joined by ``:`` and base64-encoded), or None; its error is
    ``invalid_client`` (RFC 6749 5.2: such credentials authenticate no client). A header
    that is not Basic, or not base64, is left to the client authentication to refuse."""
    parts = (header or "").split(None, 1)  # as Authlib splits it
    if len(parts) != 2 or parts[0].lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(parts[1])
    except binascii.Error:
        return None
    except ValueError:  # not ASCII: Authlib would fail on it
        return BadInput("the client credentials must be base64", frozenset({"client_id"}),
                        _CLIENT)
    try:
        client_id, _, secret = decoded.decode("utf-8").partition(":")
        values = [("client_id", unquote(client_id, errors="strict")),
                  ("client_secret", unquote(secret, errors="strict"))]
    except UnicodeDecodeError:
        return BadInput("the client credentials must be UTF-8 text", frozenset({"client_id"}),
                        _CLIENT)
    for name, value in values:
        problem = value_problem(name, value)
        if problem is not None:
            return BadInput(problem, frozenset({name}), _CLIENT)
    return None


# -- the current request --------------------------------------------------------------------

def query_args() -> MultiDict[str, str]:
    """This request's query parameters; none when the raw query string is not UTF-8 (which
    werkzeug cannot parse)."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        return MultiDict()
    return request.args


def query_problem() -> BadInput | None:
    """The problem of this request's query string, or None."""
    return check_pairs(query_args().items(multi=True), request.query_string)


def form_problem() -> BadInput | None:
    """The problem of this request's form body, or None. An urlencoded body is read (and
    kept for the form parser) to check its raw bytes too."""
    raw = (request.get_data(cache=True)
           if request.mimetype == "application/x-www-form-urlencoded" else None)
    return check_pairs(request.form.items(multi=True), raw)


def token_request_problem() -> BadInput | None:
    """The problem of a request to the token, revocation or introspection endpoint: its
    query, its form and its HTTP Basic client credentials (Authlib reads all three)."""
    return (query_problem() or form_problem()
            or check_basic(request.headers.get("Authorization")))
