"""Error descriptions of the OAuth2 endpoints: printable ASCII (RFC 6749 5.2), never a value
the request sent, and never a 500 for a value Authlib would not repeat (``µ``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.api.oauth2_support import REDIRECT_URI, authorize_params, new_client, query_of

#: Text that is fine as text but not ASCII (the fuzzer's ``µ`` and a character beyond the BMP).
NON_ASCII = ["\u00b5", "\U00027bb3\\\u00cb\u00c0"]


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


# -- the request ------------------------------------------------------------------

FUZZED = ("/v2/oauth2/authorize?client_id=%F0%A7%AE%B3%18%5C%C3%8B%C3%80&response_type=%C2%B5"
          "&grant_type=authorization_code&redirect_uri=https%3A%2F%2F9.qcw3i.io"
          "&grant_consent=false&code_challenge=&code_challenge_method=S256&scope=__main__"
          "&state=%EB%BA%89")


def test_the_fuzzed_request_is_a_400(client: FlaskClient) -> None:
    response = client.get(FUZZED)
    assert_refused(response, redirect=False)
    check_answer(response, "\u00b5")


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
