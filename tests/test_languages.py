"""Languages (docs/languages.md): the API's error messages, the mails and the OAuth2 pages in
English and German; the wire's type, path, code and context never change; the catalogues
are complete; a host adds a language and its own locale selector decides."""

from __future__ import annotations

import copy
import importlib.util
import inspect
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import Babel
from marshmallow import fields

from flask_usercore.errors import N_, Message, PermissionDenied
from flask_usercore.schemas.errortypes import MARSHMALLOW_MESSAGES, Length, Range, msgid_of
from tests.api.oauth2_support import authorize_params, new_client
from tests.catalogue_support import write_catalogue
from tests.conftest import PASSWORD, Mailbox
from tests.docs_support import blocks

ROOT = Path(__file__).resolve().parent.parent
EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def _without_messages(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: _without_messages(value) for key, value in body.items()
                if key != "message"}
    if isinstance(body, list):
        return [_without_messages(item) for item in body]
    return body


def _messages(body: Any) -> list[str]:
    if isinstance(body, dict):
        found = [body["message"]] if isinstance(body.get("message"), str) else []
        return found + [m for value in body.values() for m in _messages(value)]
    if isinstance(body, list):
        return [m for item in body for m in _messages(item)]
    return []


#: Requests whose error bodies are compared: (method, path, json body or None, needs a token).
REQUESTS: list[tuple[str, str, dict[str, Any] | None, bool]] = [
    ("POST", "/v2/register", {"email": "not-an-email", "person": {}, "shoeSize": 44}, False),
    ("PUT", "/v2/users/self", {"company": "x" * 121, "accountType": "robot",
                               "countryCode": "XX", "webUrl": "ftp://a", "nickname": 5}, True),
    ("PUT", "/v2/users/self", {"company": "", "person": {
        "firstName": "Ada", "lastName": "Love\u202elace"}}, True),
    ("POST", "/v2/authenticate?cookieOnly=maybe", {"email": "a@b.de", "password": "x"}, False),
    ("POST", "/v2/authenticate", {"email": "ada@example.com", "password": "wrong password"},
     False),
    ("GET", "/v2/users/self", None, False),
    ("GET", "/v2/nothing-here", None, False),
    ("DELETE", "/v2/authenticate", None, False),
    ("GET", "/v2/users/0b0b0b0b-0000-4000-8000-000000000000", None, True),
    ("POST", "/v2/verify-registration", {"email": "nobody@example.com", "token": "12345678",
                                         "userId": "0b0b0b0b-0000-4000-8000-000000000000"},
     False),
]


def test_error_bodies_in_english_and_german_differ_only_in_their_messages(
        client: FlaskClient, user: dict[str, Any]) -> None:
    for method, path, body, signed_in in REQUESTS:
        answers = {}
        for name, language in (("en", EN), ("de", DE), ("default", {})):
            headers = {**language, **(user["headers"] if signed_in else {})}
            answer = client.open(path, method=method, json=body, headers=headers)
            assert answer.status_code >= 400, (path, answer.json)
            answers[name] = answer
        en, de, default = (answers[name].json for name in ("en", "de", "default"))
        assert default == en, path  # English is the default
        assert answers["de"].status_code == answers["en"].status_code
        assert _without_messages(de) == _without_messages(en), path
        english, german = _messages(en), _messages(de)
        assert english and len(german) == len(english)
        assert all(g != e for g, e in zip(german, english, strict=True)), (german, english)


def test_the_english_messages_stay_as_the_docs_quote_them(client: FlaskClient) -> None:
    answer = client.post("/v2/register", json={"email": "not-an-email", "person": {},
                                               "shoeSize": 44})
    assert answer.json["message"] == "request body is invalid: .email Not a valid email address."
    assert [e["message"] for e in answer.json["validationErrors"]] == [
        "Not a valid email address.", "Missing data for required field.",
        "Missing data for required field.", "Missing data for required field.",
        "Unknown field."]
    query = client.post("/v2/authenticate?cookieOnly=maybe", json={})
    assert query.json["message"] == ("query parameter cookieOnly is invalid: Not a valid "
                                     "boolean.")


def test_german_messages_with_their_values(client: FlaskClient, user: dict[str, Any]) -> None:
    answer = client.put("/v2/users/self", headers={**DE, **user["headers"]},
                        json={"company": "", "person": {"firstName": "Ada",
                                                        "lastName": "Love\u202elace"}})
    assert answer.json["message"] == ("der Request-Body ist ungültig: .company Kürzer als die "
                                      "minimale Länge 1.")
    assert answer.json["validationErrors"][1] == {
        "message": "Darf keine unsichtbaren Formatierungszeichen wie Bidi-Steuerzeichen oder "
                   "Zeichen ohne Breite enthalten (gefunden: U+202E).",
        "path": ".person.lastName", "type": "controlCharacters"}
    wrong = client.post("/v2/authenticate", headers=DE,
                        json={"email": user["email"], "password": "wrong password"})
    assert wrong.json["validationErrors"][0]["message"] == (
        "E-Mail-Adresse oder Passwort ist falsch")
    assert client.get("/v2/nothing-here", headers=DE).json["message"].startswith(
        "Die angefragte URL wurde auf dem Server nicht gefunden.")


def test_a_message_from_parts_is_translated_part_by_part() -> None:
    error = PermissionDenied(roles=["editor"], permissions=["articles.publish"])
    assert error.message == "this needs the role editor and the permission articles.publish"
    german = {"this needs the %(needed)s": "dafür benötigen Sie die %(needed)s",
              "role %(name)s": "Rolle %(name)s", "permission %(name)s": "Berechtigung %(name)s",
              "%(these)s and the %(that)s": "%(these)s und die %(that)s"}
    body = error.to_json(lambda msgid: german.get(msgid, msgid))
    assert body["message"] == ("dafür benötigen Sie die Rolle editor und die Berechtigung "
                               "articles.publish")
    assert body["missingRoles"] == ["editor"]


def test_a_translation_that_does_not_fit_falls_back_to_english() -> None:
    message = N_("at most %(count)s SSH keys can be stored", count=3)
    assert message.translated(lambda msgid: "höchstens %(anzahl)s") == str(message)
    assert message.translated(lambda msgid: "höchstens %(count)s") == "höchstens 3"


def test_messages_survive_copy_and_pickle() -> None:
    message = N_("no password policy named %(name)s", name="'x'")
    for again in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):  # noqa: S301
        assert isinstance(again, Message)
        assert (str(again), again.msgid, dict(again.values)) == (
            "no password policy named 'x'", message.msgid, {"name": "'x'"})


def _marshmallow_messages() -> set[str]:
    """marshmallow's input messages: of every field class and of Length and Range."""
    found: set[str] = set()
    for kind in vars(fields).values():
        if inspect.isclass(kind) and issubclass(kind, fields.Field):
            for base in kind.__mro__:
                for text in getattr(base, "default_error_messages", {}).values():
                    if "cannot be formatted" not in text:  # output only
                        found.add(msgid_of(text))
    validators: list[Any] = [Length(min=1), Length(max=1), Length(1, 2), Length(equal=1)]
    for low in (True, False):
        for high in (True, False):
            validators += [Range(min=1, min_inclusive=low), Range(max=1, max_inclusive=high),
                           Range(1, 2, min_inclusive=low, max_inclusive=high)]
    for validator in validators:
        for name in ("message_min", "message_max", "message_all", "message_equal"):
            text = getattr(validator, name, None)
            if isinstance(text, str):
                found.add(msgid_of(text))
    return found


def test_every_marshmallow_message_is_in_the_catalogues() -> None:
    marked = {message.msgid for message in MARSHMALLOW_MESSAGES}
    assert _marshmallow_messages() - marked == set()


def _catalogues_script() -> Any:
    spec = importlib.util.spec_from_file_location("ci_catalogues",
                                                  ROOT / ".ci" / "catalogues.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_catalogues_hold_every_message(capsys: pytest.CaptureFixture[str]) -> None:
    """What .ci/run checks: every msgid of the sources translated, none fuzzy or empty."""
    assert _catalogues_script().main([]) == 0, capsys.readouterr().err


def test_the_catalogue_check_finds_a_missing_an_empty_and_a_fuzzy_msgid(
        tmp_path: Path) -> None:
    script = _catalogues_script()
    source = ROOT / "flask_usercore" / "translations" / "de" / "LC_MESSAGES" / "usercore.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale="de", domain="usercore")
    catalog.delete("too many requests")
    catalog["the file storage is full"].string = ""
    catalog["the code is wrong"].flags.add("fuzzy")
    catalog["no user with this id"].string = "kein Benutzer %(id)s"
    broken = tmp_path / "de" / "LC_MESSAGES" / "usercore.po"
    broken.parent.mkdir(parents=True)
    with broken.open("wb") as handle:
        write_po(handle, catalog)
    found = "\n".join(script.problems(script.extracted(), broken))
    assert "missing msgid 'too many requests'" in found
    assert "empty translation of 'the file storage is full'" in found
    assert "fuzzy msgid 'the code is wrong'" in found


def test_the_mails_in_german(client: FlaskClient, mailbox: Mailbox) -> None:
    response = client.post("/v2/register", headers=DE, json={
        "email": "ada@example.com", "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})
    assert response.status_code == 201
    [mail] = mailbox.sent
    assert mail.subject == "Bestätigen Sie Ihre Registrierung"
    assert mail.body.startswith("Hallo Ada,\n\nIhr Bestätigungscode lautet: ")
    assert mail.html is not None and '<html lang="de">' in mail.html
    assert "Falls Sie sich nicht registriert haben" in mail.html
    client.post("/v2/register", json={
        "email": "grace@example.com", "password": PASSWORD,
        "person": {"firstName": "Grace", "lastName": "Hopper"}})
    english = mailbox.sent[-1]
    assert english.subject == "Verify your registration"
    assert english.html is not None and '<html lang="en">' in english.html


def _login_page(client: FlaskClient, client_id: str) -> str:
    location: str = client.get("/v2/oauth2/authorize", headers=DE,
                               query_string=authorize_params(client_id)).headers["Location"]
    return location


def test_the_oauth2_pages_in_german(app: Flask, client: FlaskClient,
                                    user: dict[str, Any]) -> None:
    client_id, _ = new_client(app, name="Fotodruck")
    login_url = _login_page(client, client_id)
    page = client.get(login_url, headers=DE).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "<h1>Anmelden</h1>" in page and "Melden Sie sich an, um zu Fotodruck" in page
    assert '<label for="email">E-Mail-Adresse</label>' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    refused = client.post(login_url, headers=DE, data={
        "csrf_token": token.group(1), "email": user["email"], "password": "wrong password"})
    assert refused.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch" in refused.get_data(as_text=True)
    client.set_cookie("x-access-token", user["token"])
    consent_url = client.get("/v2/oauth2/authorize", headers=DE,
                             query_string=authorize_params(client_id)).headers["Location"]
    consent = client.get(consent_url, headers=DE).get_data(as_text=True)
    assert "<h1>Fotodruck erlauben?</h1>" in consent
    assert "Ihr Profil lesen und ändern" in consent
    assert ">Erlauben</button>" in consent and ">Ablehnen</button>" in consent
    english = client.get(consent_url, headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in english and "<h1>Allow Fotodruck?</h1>" in english


def _french(folder: Path) -> None:
    write_catalogue(folder, "fr", {
        "a valid access token is required": "un jeton d'accès valide est requis",
        "Missing data for required field.": "Champ obligatoire manquant.",
        "request body is invalid: %(path)s %(message)s":
            "le corps de la requête est invalide : %(path)s %(message)s",
        "a valid access token is required!": ""},
        formatted=("request body is invalid: %(path)s %(message)s",))


def test_a_host_adds_a_language_with_its_own_catalogue(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    _french(tmp_path / "translations")
    app = make_app({"USERCORE_LANGUAGES": ["en", "de", "fr"],
                    "USERCORE_TRANSLATION_DIRECTORIES": [str(tmp_path / "translations")]})
    client = app.test_client()
    french = {"Accept-Language": "fr-CH, fr;q=0.9"}
    assert client.get("/v2/users/self", headers=french).json["message"] == (
        "un jeton d'accès valide est requis")
    body = client.post("/v2/register", headers=french, json={"email": "ada@example.com"}).json
    assert body["message"] == ("le corps de la requête est invalide : .password Champ "
                               "obligatoire manquant.")
    # what the host's catalogue lacks stays English; German is still ours
    assert client.get("/v2/nothing-here", headers=french).json["message"].startswith(
        "The requested URL was not found")
    assert client.get("/v2/users/self", headers=DE).json["message"] == (
        "ein gültiges Zugriffstoken ist erforderlich")


def test_the_hosts_locale_selector_decides(make_app: Callable[..., Flask]) -> None:
    app = make_app(before_init=lambda app: Babel(app, locale_selector=lambda: "de"))
    client = app.test_client()
    assert client.get("/v2/users/self", headers=EN).json["message"] == (
        "ein gültiges Zugriffstoken ist erforderlich")


def test_the_docs_locale_selector_decides_after_the_extension(
        make_app: Callable[..., Flask]) -> None:
    """docs/languages.md's selector, run on an app whose UserCore is set up already."""
    snippet = next(block.text for block in blocks(ROOT / "docs" / "languages.md")
                   if block.lang == "python" and "pick_language" in block.text)
    app = make_app()
    exec(snippet, {"app": app})  # noqa: S102 (the docs' own code)
    client = app.test_client()
    assert client.get("/v2/users/self", headers=EN).json["message"] == (
        "ein gültiges Zugriffstoken ist erforderlich")


def test_a_request_looks_its_translations_up_once_and_follows_a_forced_locale(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_babel import force_locale

    from flask_usercore import i18n

    domain = i18n.domain()
    looked_up = type(domain).get_translations
    calls: list[str] = []

    def counted(self: Any) -> Any:
        calls.append("lookup")
        return looked_up(self)

    monkeypatch.setattr(type(domain), "get_translations", counted)
    with app.test_request_context("/", headers=DE):
        assert [i18n.gettext("Profile") for _ in range(5)] == ["Profil"] * 5
        assert i18n.ngettext("%(num)d day", "%(num)d days", 2) == "2 days"  # no entry
        assert len(calls) == 1, "once per request, not once per message"
        with force_locale("en"):  # a mail in its recipient's language, within the request
            assert i18n.gettext("Profile") == "Profile"
        assert i18n.gettext("Profile") == "Profil"
    with app.test_request_context("/", headers=EN):
        assert i18n.gettext("Profile") == "Profile"
    assert i18n.gettext("Profile") == "Profile"  # outside a request: the default language
