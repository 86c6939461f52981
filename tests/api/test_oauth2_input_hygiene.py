"""Input hygiene of the OAuth2 endpoints: authorize (and its login and consent pages), token,
revoke, introspect, userinfo and the consents.

A non-ASCII, control or oversized value in any parameter is answered with a 400 or the
documented redirect, never a 500 (PostgreSQL cannot store a NUL, nor a ``nonce`` longer than
its column; Authlib refuses to build an error whose description is not ASCII). A control
character, invalid UTF-8 or an oversized value is refused with ``invalid_request`` before
anything reaches the database. An error description is printable ASCII and never repeats the
value. Run on SQLite and on PostgreSQL (``USERCORE_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.oauth2_support import (
    REDIRECT_URI,
    authorize_params,
    code_for,
    exchange,
    new_client,
    pkce,
    query_of,
)
from tests.conftest import PASSWORD

#: Text that is fine as text but not ASCII (the fuzzer's ``µ`` and a character beyond the BMP).
NON_ASCII = ["\u00b5", "\U00027bb3\\\u00cb\u00c0"]
#: Values every parameter refuses: controls (C0, C1, DEL, a line separator) and one too long.
REFUSED = {"nul": "a\x00b", "escape": "a\x1bb", "c1 control": "a\x85b", "delete": "a\x7fb",
           "line separator": "a\u2028b", "oversized": "x" * 5000}
ALL_VALUES = [*REFUSED.values(), *NON_ASCII]
AUTHORIZE_PARAMS = ["response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method", "grant_consent", "grant_type",
                    "nonce", "prompt", "unknown"]
#: The parameters whose refusal may not be redirected (RFC 6749 4.1.2.1).
UNVERIFIED = ("client_id", "redirect_uri")
PASSWORD_GRANT = ("authorization_code", "refresh_token", "password")


def _allowed_description(text: str) -> bool:
    """RFC 6749 5.2: ``%x20-21 / %x23-5B / %x5D-7E``."""
    return all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in text)


def description_of(response: Any) -> str | None:
    """The ``error_description`` of an error redirect or of a JSON error body."""
    if response.status_code in (302, 303):
        return query_of(response.headers["Location"]).get("error_description")
    if response.status_code >= 400 and response.is_json:
        return response.json.get("error_description")  # type: ignore[no-any-return]
    return None


def check_answer(response: Any, value: str) -> None:
    """Never a 5xx; an error's description is RFC 6749's ASCII and does not repeat ``value``."""
    assert response.status_code < 500, response.get_data(as_text=True)
    description = description_of(response)
    if description is not None:
        assert _allowed_description(description), description
        assert value not in description, description


def assert_refused(response: Any, *, redirect: bool, state: str | None = "st-123") -> None:
    """``invalid_request``: redirected to the client with ``state``, or a 400 and no redirect."""
    if redirect:
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        assert location.startswith(REDIRECT_URI + "?"), location
        query = query_of(location)
        assert query["error"] == "invalid_request" and "code" not in query
        assert query.get("state") == state
    else:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "Location" not in response.headers
        assert response.json["error"] == "invalid_request"


def assert_token_refused(response: Any) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"] == "invalid_request"
    assert response.headers["Cache-Control"] == "no-store"


def assert_client_refused(response: Any, endpoint: str = "token") -> None:
    """``invalid_client``: mittwald's 400 at its token endpoint, else RFC 6749 5.2's 401 with
    ``WWW-Authenticate`` (revocation and introspection)."""
    assert response.json["error"] == "invalid_client", response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    if endpoint == "token":
        assert response.status_code == 400
    else:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def _with(params: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    return {**params, name: value}


# -- the issue's request ------------------------------------------------------------------

FUZZED = ("/v2/oauth2/authorize?client_id=%F0%A7%AE%B3%18%5C%C3%8B%C3%80&response_type=%C2%B5"
          "&grant_type=authorization_code&redirect_uri=https%3A%2F%2F9.qcw3i.io"
          "&grant_consent=false&code_challenge=&code_challenge_method=S256&scope=__main__"
          "&state=%EB%BA%89")


def test_the_fuzzed_request_is_a_400(client: FlaskClient) -> None:
    response = client.get(FUZZED)
    assert_refused(response, redirect=False)
    assert response.json["error_description"] == "client_id must not contain control characters"


def test_a_response_type_that_is_not_ascii_redirects_without_repeating_it(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    for value in NON_ASCII:
        response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                              authorize_params(client_id, response_type=value,
                                               grant_consent="true"))
        query = query_of(response.headers["Location"])
        assert query["error"] == "unsupported_response_type"
        assert query["error_description"] == "response_type must be code"
        assert query["state"] == "st-123"
    unknown = client.get("/v2/oauth2/authorize", query_string=authorize_params(
        "nobody", response_type="\u00b5"))
    assert_refused(unknown, redirect=False)  # no client: never a redirect
    check_answer(unknown, "\u00b5")


def test_an_unregistered_redirect_uri_is_not_repeated(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, _ = new_client(app)
    for uri in ("https://evil.example/\u00b5", "https://evil.example/cb"):
        response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                              authorize_params(client_id, redirect_uri=uri,
                                               grant_consent="true"))
        assert_refused(response, redirect=False)
        assert response.json["error_description"] == \
            "redirect_uri is not registered for this client"


# -- authorize, each parameter ------------------------------------------------------------

@pytest.mark.parametrize("name", AUTHORIZE_PARAMS)
def test_authorize_refuses_bad_values_in_each_parameter(
        app: Flask, client: FlaskClient, user: dict[str, Any], name: str) -> None:
    client_id, _ = new_client(app, scopes=("profile", "email"))
    _, challenge = pkce()
    base = authorize_params(client_id, challenge, grant_consent="true",
                            grant_type="authorization_code", nonce="n-1", prompt="consent",
                            unknown="x")
    for kind, value in REFUSED.items():
        response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                              query_string=_with(base, name, value))
        assert_refused(response, redirect=name not in UNVERIFIED,
                       state=None if name == "state" else "st-123")
        check_answer(response, value)
        said = "a parameter" if name == "unknown" else name
        assert said in (description_of(response) or ""), kind
    consents = client.get("/v2/users/self/oauth2/consents", headers=user["headers"])
    assert consents.json == [], "a refused request granted a consent"
    for value in NON_ASCII:
        check_answer(client.get("/v2/oauth2/authorize", headers=user["headers"],
                                query_string=_with(base, name, value)), value)
    ok = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=base)
    assert "code" in query_of(ok.headers["Location"]), "the request itself was fine"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri", "state", "scope", "nonce",
                                  "unknown"])
@pytest.mark.parametrize("page", ["login", "consent"])
def test_the_login_and_consent_pages_refuse_bad_query_values(
        app: Flask, client: FlaskClient, user: dict[str, Any], page: str, name: str) -> None:
    client_id, _ = new_client(app)
    base = authorize_params(client_id, nonce="n-1", unknown="x")
    if page == "consent":
        client.set_cookie("x-access-token", user["token"])
    for value in ALL_VALUES:
        for method in ("GET", "POST"):
            response = client.open(f"/v2/oauth2/{page}", method=method,
                                   query_string=_with(base, name, value),
                                   data={"csrf_token": "x"} if method == "POST" else None)
            check_answer(response, value)
            if value in REFUSED.values():
                assert_refused(response, redirect=name not in UNVERIFIED,
                               state=None if name == "state" else "st-123")


@pytest.mark.parametrize(("page", "field"), [
    ("login", "email"), ("login", "password"), ("login", "multi_factor_code"),
    ("login", "csrf_token"), ("consent", "decision"), ("consent", "csrf_token")])
def test_the_forms_of_the_pages_refuse_bad_fields(
        app: Flask, client: FlaskClient, user: dict[str, Any], page: str, field: str) -> None:
    client_id, _ = new_client(app)
    if page == "consent":
        client.set_cookie("x-access-token", user["token"])
    form = {"email": user["email"], "password": PASSWORD, "csrf_token": "x",
            "decision": "allow"}
    for value in ALL_VALUES:
        response = client.post(f"/v2/oauth2/{page}", query_string=authorize_params(client_id),
                               data=_with(form, field, value))
        check_answer(response, value)
        if value in REFUSED.values():
            assert response.status_code == 400, response.get_data(as_text=True)
            assert response.json["error"] == "invalid_request"
            assert field in response.json["error_description"]


# -- the token endpoint ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["grant_type", "code", "redirect_uri", "code_verifier",
                                  "client_id", "unknown"])
def test_the_code_exchange_refuses_bad_values_in_each_parameter(
        app: Flask, client: FlaskClient, user: dict[str, Any], name: str) -> None:
    client_id, _ = new_client(app, public=True)
    for value in ALL_VALUES:
        verifier, challenge = pkce()
        code = code_for(client, client_id, user["headers"], challenge)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier, "client_id": client_id, "unknown": "x"}
        response = client.post("/v2/oauth2/token", data=_with(form, name, value))
        check_answer(response, value)
        if value in REFUSED.values():
            assert_token_refused(response)
            assert exchange(client, client_id, None, code, verifier).status_code == 200, \
                "the refused request used the code"


@pytest.mark.parametrize("name", ["grant_type", "refresh_token", "scope", "client_secret",
                                  "unknown"])
def test_the_refresh_refuses_bad_values_in_each_parameter(
        app: Flask, client: FlaskClient, user: dict[str, Any], name: str) -> None:
    client_id, secret = new_client(app)
    verifier, challenge = pkce()
    tokens = exchange(client, client_id, secret,
                      code_for(client, client_id, user["headers"], challenge), verifier).json
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "scope": "profile", "client_id": client_id, "client_secret": secret or "",
            "unknown": "x"}
    for value in REFUSED.values():
        response = client.post("/v2/oauth2/token", data=_with(form, name, value))
        assert_token_refused(response)
        check_answer(response, value)
    refreshed = client.post("/v2/oauth2/token", data=form)
    assert refreshed.status_code == 200, "a refused request rotated the refresh token"
    for value in NON_ASCII:
        check_answer(client.post("/v2/oauth2/token", data=_with(form, name, value)), value)


@pytest.mark.parametrize("name", ["username", "password", "scope", "multi_factor_code",
                                  "unknown"])
def test_the_password_grant_refuses_bad_values_in_each_parameter(
        app: Flask, client: FlaskClient, user: dict[str, Any], name: str) -> None:
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANT)
    form = {"grant_type": "password", "username": user["email"], "password": PASSWORD,
            "scope": "profile", "unknown": "x"}
    for value in REFUSED.values():
        response = client.post("/v2/oauth2/token", data=_with(form, name, value),
                               auth=(client_id, secret))
        assert_token_refused(response)
        check_answer(response, value)
    for value in NON_ASCII:
        check_answer(client.post("/v2/oauth2/token", data=_with(form, name, value),
                                 auth=(client_id, secret)), value)


@pytest.mark.parametrize("endpoint", ["token", "revoke", "introspect"])
@pytest.mark.parametrize("where", ["basic id", "basic secret", "form id", "form secret",
                                   "query id"])
def test_client_credentials_with_bad_values_are_refused(
        app: Flask, client: FlaskClient, user: dict[str, Any], endpoint: str,
        where: str) -> None:
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANT)
    assert secret is not None
    form = {"grant_type": "password", "username": user["email"], "password": PASSWORD,
            "token": "some-token"}
    for value in ALL_VALUES:
        kwargs: dict[str, Any] = {"data": dict(form)}
        if where == "basic id":
            kwargs["auth"] = (value, secret)
        elif where == "basic secret":
            kwargs["auth"] = (client_id, value)
        elif where == "query id":
            kwargs["query_string"] = {"client_id": value}
            kwargs["data"].update(client_id=client_id, client_secret=secret)
        else:
            kwargs["data"].update(client_id=client_id, client_secret=secret)
            kwargs["data"]["client_id" if where == "form id" else "client_secret"] = value
        response = client.post(f"/v2/oauth2/{endpoint}", **kwargs)
        check_answer(response, value)
        if where.startswith("basic"):  # refused or not, these credentials authenticate no one
            assert_client_refused(response, endpoint)
        elif value in REFUSED.values():
            assert_token_refused(response)
        elif where != "query id":  # the form's client_id authenticates; the query's is extra
            assert_client_refused(response, endpoint)  # an unknown client or a wrong secret


# -- revocation and introspection ---------------------------------------------------------

@pytest.mark.parametrize("endpoint", ["revoke", "introspect"])
@pytest.mark.parametrize("name", ["token", "token_type_hint", "unknown"])
def test_revocation_and_introspection_refuse_bad_values_in_each_parameter(
        app: Flask, client: FlaskClient, user: dict[str, Any], endpoint: str,
        name: str) -> None:
    client_id, secret = new_client(app)
    verifier, challenge = pkce()
    tokens = exchange(client, client_id, secret,
                      code_for(client, client_id, user["headers"], challenge), verifier).json
    form = {"token": tokens["access_token"], "token_type_hint": "access_token",
            "unknown": "x"}
    for value in REFUSED.values():
        response = client.post(f"/v2/oauth2/{endpoint}", data=_with(form, name, value),
                               auth=(client_id, secret))
        assert_token_refused(response)
        check_answer(response, value)
    me = client.get("/v2/users/self", headers={"Authorization":
                                               f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, "a refused revocation revoked the token"
    for value in NON_ASCII:
        response = client.post(f"/v2/oauth2/{endpoint}", data=_with(form, name, value),
                               auth=(client_id, secret))
        check_answer(response, value)
        if name == "token_type_hint":
            assert response.status_code == 400
            assert response.json["error"] == "unsupported_token_type"


# -- userinfo and the consents --------------------------------------------------------------

def test_userinfo_answers_401_to_bad_tokens_and_ignores_its_query(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    for value in ALL_VALUES:
        for headers in ({"Authorization": f"Bearer {value}"}, {"x-access-token": value}):
            response = client.get("/v2/oauth2/userinfo", headers=headers,
                                  query_string={"access_token": value, value[:64]: "x"})
            assert response.status_code == 401, response.get_data(as_text=True)


@pytest.mark.parametrize("value", ALL_VALUES, ids=[*REFUSED, "micro", "astral"])
def test_withdrawing_the_consent_of_a_bad_client_id_is_a_404(
        client: FlaskClient, user: dict[str, Any], value: str) -> None:
    response = client.delete(f"/v2/users/self/oauth2/consents/{quote(value, safe='')}",
                             headers=user["headers"])
    assert response.status_code == 404, response.get_data(as_text=True)


# -- invalid UTF-8, parameter names, the database's limits ----------------------------------

def test_invalid_utf8_is_refused(app: Flask, user: dict[str, Any]) -> None:
    """Percent-encoded or raw bytes that are not UTF-8, in the query, the form or the Basic
    credentials. (A plain test client: the contract checker cannot parse such a query.)"""
    raw_client = FlaskClient(app)
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANT)
    assert secret is not None
    base = f"client_id={client_id}&response_type=code&redirect_uri={quote(REDIRECT_URI)}"
    redirected = raw_client.get(f"/v2/oauth2/authorize?{base}&state=%FF&scope=profile",
                                headers=user["headers"])
    assert_refused(redirected, redirect=True, state=None)
    for query in (f"{base}&state=\xff", f"client_id=\xff&{base}", f"\xff=1&{base}",
                  f"client_id=%C3&{base}"):
        response = raw_client.get("/v2/oauth2/authorize", headers=user["headers"],
                                  environ_overrides={"QUERY_STRING": query})
        assert_refused(response, redirect=False)
        token = raw_client.post("/v2/oauth2/token", data={"grant_type": "password"},
                                auth=(client_id, secret),
                                environ_overrides={"QUERY_STRING": query})
        assert_token_refused(token)
    for body in (b"grant_type=password&username=%FF", b"grant_type=password&username=\xff",
                 b"grant_type=password&%FF=1"):
        response = raw_client.post("/v2/oauth2/token", data=body, auth=(client_id, secret),
                                   content_type="application/x-www-form-urlencoded")
        assert_token_refused(response)
    for credentials in (b"\xff:" + secret.encode(), client_id.encode() + b":%FF",
                        b"%00:" + secret.encode()):
        basic = "Basic " + base64.b64encode(credentials).decode()
        response = raw_client.post("/v2/oauth2/token", data={"grant_type": "password"},
                                   headers={"Authorization": basic})
        assert_client_refused(response)
    latin1 = raw_client.post("/v2/oauth2/token", data={"grant_type": "password"},
                             headers={"Authorization": "Basic \u00ff\u00fe"})
    assert_client_refused(latin1)


@pytest.mark.parametrize("endpoint", ["token", "revoke", "introspect"])
def test_basic_credentials_that_are_not_utf8_are_invalid_client(
        app: Flask, user: dict[str, Any], endpoint: str) -> None:
    """The issue's ``Authorization: Basic /zr+`` (``\\xff:\\xfe``): a 500 with a traceback
    once, then ``invalid_request``; RFC 6749 5.2 says ``invalid_client``."""
    new_client(app)
    response = FlaskClient(app).post(f"/v2/oauth2/{endpoint}",
                                     data={"grant_type": "client_credentials", "token": "t"},
                                     headers={"Authorization": "Basic /zr+"})
    assert_client_refused(response, endpoint)
    assert response.json["error_description"] == "the client credentials must be UTF-8 text"


def test_bad_parameter_names_are_refused_without_naming_them(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    client_id, secret = new_client(app, grant_types=PASSWORD_GRANT)
    for name in ("x\x00y", "\x1b", "n" * 200):
        response = client.get("/v2/oauth2/authorize", headers=user["headers"],
                              query_string={**authorize_params(client_id), name: "1"})
        assert_refused(response, redirect=True)
        assert "a parameter name" in query_of(response.headers["Location"])[
            "error_description"]
        token = client.post("/v2/oauth2/token", auth=(client_id, secret),
                            data={"grant_type": "password", "username": user["email"],
                                  "password": PASSWORD, name: "1"})
        assert_token_refused(token)


def test_a_nonce_fits_its_column(app: Flask, client: FlaskClient,
                                 user: dict[str, Any]) -> None:
    """255 characters are stored; 256 were a 500 on PostgreSQL (StringDataRightTruncation)."""
    client_id, _ = new_client(app)
    stored = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                        authorize_params(client_id, grant_consent="true", nonce="n" * 255))
    assert "code" in query_of(stored.headers["Location"])
    refused = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                         authorize_params(client_id, grant_consent="true", nonce="n" * 256))
    assert_refused(refused, redirect=True)
    assert query_of(refused.headers["Location"])["error_description"] == \
        "nonce must be at most 255 characters"


def test_non_ascii_text_still_works_where_it_is_text(
        app: Flask, client: FlaskClient, user: dict[str, Any]) -> None:
    """Hygiene refuses controls, not Unicode: a ``state`` and a ``nonce`` in any script
    still come back with a code."""
    client_id, _ = new_client(app)
    response = client.get("/v2/oauth2/authorize", headers=user["headers"], query_string=
                          authorize_params(client_id, grant_consent="true",
                                           state="z\u00fcrich \u6771\u4eac", nonce="\u00b5"))
    query = query_of(response.headers["Location"])
    assert query["state"] == "z\u00fcrich \u6771\u4eac" and query["code"]
