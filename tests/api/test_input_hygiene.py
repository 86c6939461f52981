"""Input hygiene on every text field: control characters, invisible format characters in
names, trimming, blank names, the whole-value nickname pattern, NFKC passwords.

Every refusal is a 400 naming the field (type ``controlCharacters`` for a refused character),
never a 500 (PostgreSQL cannot store a NUL), and writes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD

Register = Callable[..., dict[str, Any]]

PERSON = {"firstName": "Grace", "lastName": "Hopper"}
#: A registration with every string field set.
FULL_BODY: dict[str, Any] = {
    "email": "grace@example.com", "password": PASSWORD,
    "person": {**PERSON, "title": "ms"}, "nickname": "grace", "displayName": "Grace H.",
    "company": "Navy", "location": "Arlington", "countryCode": "US",
    "webUrl": "https://example.com/grace", "pictureUrl": "https://example.com/g.png",
    "accountType": "user",
}
STRING_FIELDS = ["email", "password", "person.firstName", "person.lastName", "person.title",
                 "nickname", "displayName", "company", "location", "countryCode", "webUrl",
                 "pictureUrl", "accountType"]
NAME_FIELDS = ["person.firstName", "person.lastName", "firstname", "lastname", "displayName"]
#: Bidi embeddings/overrides/isolates/marks, zero-width characters, BOM, soft hyphen.
INVISIBLE = ["\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b",
             "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
#: C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
CONTROLS = ["\x00", "\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


def items(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True))
    return [(i["path"], i["type"]) for i in response.json["validationErrors"]]


def changed(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    result = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    target[last] = value
    return result


def put_self(client: FlaskClient, user: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.put("/v2/users/self/personal-information", json=body,
                      headers=user["headers"])


def get_self(client: FlaskClient, user: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/v2/users/self", headers=user["headers"]).json
    return body


def test_the_full_body_is_accepted(client: FlaskClient) -> None:
    assert client.post("/v2/register", json=FULL_BODY).status_code == 201


@pytest.mark.parametrize("path", STRING_FIELDS)
@pytest.mark.parametrize("where", ["end", "middle"])
def test_nul_in_any_register_field_is_a_400(client: FlaskClient, path: str,
                                            where: str) -> None:
    """On PostgreSQL this was a 500 (a NUL cannot be stored); now nothing reaches the DB."""
    *parents, last = path.split(".")
    value: Any = FULL_BODY
    for key in [*parents, last]:
        value = value[key]
    bad = value + "\x00" if where == "end" else value[:1] + "\x00" + value[1:]
    found = items(client.post("/v2/register", json=changed(FULL_BODY, path, bad)))
    assert {p for p, _ in found} == {"." + path}
    if path != "email":  # email-validator refuses it first, as a format error
        assert found == [("." + path, "controlCharacters")]
    assert client.post("/v2/register", json=FULL_BODY).status_code == 201  # nothing written


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("path", ["person.firstName", "displayName", "company", "location"])
def test_single_line_fields_refuse_controls_and_line_breaks(
        client: FlaskClient, path: str, char: str) -> None:
    found = items(client.post("/v2/register", json=changed(FULL_BODY, path, f"A{char}B")))
    assert found == [("." + path, "controlCharacters")]


def test_the_message_names_the_character(client: FlaskClient) -> None:
    response = client.post("/v2/register",
                           json=changed(FULL_BODY, "person.lastName", "Hop\u202eper"))
    [item] = response.json["validationErrors"]
    assert "U+202E" in item["message"]
    assert response.json["message"].startswith("request body is invalid: .person.lastName")


@pytest.mark.parametrize(("path", "body"), [
    ("/v2/authenticate", {"email": "ada@example.com", "password": PASSWORD + "\x00"}),
    ("/v2/authenticate", {"email": "ada@exam\x00ple.com", "password": PASSWORD}),
    ("/v2/verify-registration", {"email": "ada@example.com", "token": "1234\x0056",
                                 "userId": "10203040-1234-5678-abcd-badc0de01234"}),
])
def test_nul_in_anonymous_bodies(client: FlaskClient, register: Register, path: str,
                                 body: dict[str, Any]) -> None:
    register()
    bad = next(k for k, v in body.items() if "\x00" in v)
    assert items(client.post(path, json=body)) == [("." + bad, "controlCharacters")]


def test_nul_in_the_password_of_account_deletion(client: FlaskClient,
                                                 user: dict[str, Any]) -> None:
    response = client.delete("/v2/users/self", json={"password": PASSWORD + "\x00"},
                             headers=user["headers"])
    assert items(response) == [(".password", "controlCharacters")]
    assert get_self(client, user)["userId"] == user["userId"]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("path", NAME_FIELDS)
def test_names_refuse_invisible_format_characters(
        client: FlaskClient, user: dict[str, Any], path: str, char: str) -> None:
    before = get_self(client, user)
    body = changed({"person": {"firstName": "Ada", "lastName": "Lovelace"}}, path, f"Ad{char}a")
    assert items(put_self(client, user, body)) == [("." + path, "controlCharacters")]
    assert get_self(client, user) == before


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff"])
def test_nickname_refuses_invisible_characters(client: FlaskClient, user: dict[str, Any],
                                               char: str) -> None:
    assert items(put_self(client, user, {"nickname": f"ada{char}"})) == [
        (".nickname", "controlCharacters")]


def test_company_and_location_keep_format_characters(client: FlaskClient,
                                                     user: dict[str, Any]) -> None:
    """Only names refuse ``Cf``: a right-to-left mark may be needed in mixed-script text."""
    body = {"company": "ACME \u200f\u05d0", "location": "Tel Aviv \u200e"}
    assert put_self(client, user, body).status_code == 204
    after = get_self(client, user)
    assert (after["company"], after["location"]) == (body["company"], body["location"])


def test_names_and_profile_strings_are_trimmed(client: FlaskClient, register: Register,
                                               login: Callable[..., str]) -> None:
    facts = register(person={"firstName": "  Ada\u00a0", "lastName": "\u3000Lovelace "},
                     displayName=" Ada L. ", company=" ACME ", location=" London ")
    user = {**facts, "headers": {"x-access-token": login()}}
    body = get_self(client, user)
    assert body["person"] == {"firstName": "Ada", "lastName": "Lovelace"}
    assert (body["firstname"], body["lastname"]) == ("Ada", "Lovelace")
    assert (body["displayName"], body["company"], body["location"]) == (
        "Ada L.", "ACME", "London")
    assert put_self(client, user, {"firstname": " Augusta ", "lastname": "King  "}
                    ).status_code == 204
    assert get_self(client, user)["person"] == {"firstName": "Augusta", "lastName": "King"}


def test_lengths_count_the_trimmed_value(client: FlaskClient, user: dict[str, Any]) -> None:
    assert put_self(client, user, {"person": {"firstName": "  " + "f" * 120 + "  ",
                                              "lastName": "L"}}).status_code == 204
    assert get_self(client, user)["person"]["firstName"] == "f" * 120


@pytest.mark.parametrize("blank", ["", " ", "   ", "\u00a0", "\u3000 "])
@pytest.mark.parametrize("path", [*NAME_FIELDS, "company", "location"])
def test_blank_after_trimming_is_too_short(client: FlaskClient, user: dict[str, Any],
                                           path: str, blank: str) -> None:
    body = changed({"person": {"firstName": "Ada", "lastName": "Lovelace"}}, path, blank)
    assert items(put_self(client, user, body)) == [("." + path, "minLength")]


def test_blank_name_at_registration(client: FlaskClient) -> None:
    found = items(client.post("/v2/register", json=changed(FULL_BODY, "person.firstName", "  ")))
    assert found == [(".person.firstName", "minLength")]


@pytest.mark.parametrize(("nickname", "kind"), [
    ("ada\n", "controlCharacters"), ("...", "pattern"), ("-_-", "pattern"), (".", "pattern"),
    ("a b", "pattern"), ("ädä", "pattern"),
])
def test_nickname_pattern(client: FlaskClient, user: dict[str, Any], nickname: str,
                          kind: str) -> None:
    assert items(put_self(client, user, {"nickname": nickname})) == [(".nickname", kind)]


@pytest.mark.parametrize("nickname", ["a", "7", "_a_", "ada.lovelace-1815", "..x"])
def test_nickname_with_a_letter_or_digit_is_fine(client: FlaskClient, user: dict[str, Any],
                                                 nickname: str) -> None:
    assert put_self(client, user, {"nickname": nickname}).status_code == 204
    assert get_self(client, user)["nickname"] == nickname


def test_emoji_and_accents_still_fit_in_names(client: FlaskClient,
                                              user: dict[str, Any]) -> None:
    body = {"person": {"firstName": "Zoë 🙂", "lastName": "Ñúñez-Ødegård"},
            "displayName": "Zoë"}
    assert put_self(client, user, body).status_code == 204
    assert get_self(client, user)["person"] == body["person"]


@pytest.mark.parametrize(("registered", "typed"), [
    ("correct horse battery staple \ufb01ve 9", "correct horse battery staple five 9"),
    ("correct horse battery staple five 9", "correct horse battery staple \ufb01ve 9"),
    ("correct horse battery staple \uff15 9", "correct horse battery staple 5 9"),
    ("correct horse battery stap\u0065\u0301 9", "correct horse battery stap\u00e9 9"),
])
def test_passwords_log_in_alike_in_nfkc(client: FlaskClient, register: Register,
                                        registered: str, typed: str) -> None:
    register(password=registered)
    for password in (registered, typed):
        response = client.post("/v2/authenticate",
                               json={"email": "ada@example.com", "password": password})
        assert response.status_code == 200, response.json
