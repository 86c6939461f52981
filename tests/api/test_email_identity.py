"""E-mail identity: one account per address whatever its case or Unicode form, shown as typed.

The key is email-validator's normalized address, casefolded (flask_usercore/security/
identity.py); SQLite's ``lower()`` folds ASCII only, so comparing in SQL could not do this.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from flask_usercore.models import User
from flask_usercore.security.identity import email_key
from flask_usercore.security.passwords import PasswordHasher
from tests.api.test_concurrency_postgres import RACERS, assert_one_winner, case_variants, race
from tests.api.test_concurrency_postgres import body as race_body
from tests.conftest import PASSWORD, Mailbox

Register = Callable[..., dict[str, Any]]
Login = Callable[..., str]

NFC = unicodedata.normalize("NFC", "Émile@example.com")
NFD = unicodedata.normalize("NFD", "Émile@example.com")


def post_register(client: FlaskClient, email: str) -> Any:
    return client.post("/v2/register", json={
        "email": email, "password": PASSWORD,
        "person": {"firstName": "Ada", "lastName": "Lovelace"}})


def authenticate(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/v2/authenticate", json={"email": email, "password": password})


def error_types(response: Any) -> list[tuple[str, str]]:
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]


def stored(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        return [(u.email, u.email_key) for u in session.scalars(select(User))]


@pytest.mark.parametrize(("address", "key"), [
    ("Ädam@example.com", "ädam@example.com"),
    ("ÄDAM@EXAMPLE.COM", "ädam@example.com"),
    ("A\u0308dam@Example.com", "ädam@example.com"),
    ("  Straße@Example.COM\n", "strasse@example.com"),
    ("x@xn--bcher-kva.de", "x@bücher.de"),
    ("x@BÜCHER.DE", "x@bücher.de"),
    ("not an address", "not an address"),
    (" ÄDAM@example.com. ", "ädam@example.com."),
])
def test_email_key(address: str, key: str) -> None:
    assert email_key(address) == key


def test_email_key_is_canonical_after_casefolding() -> None:
    # U+0390 folds to three code points; the capital spelling folds to another sequence of
    # the same character: the key's final NFC makes them equal.
    assert email_key("\u0390@example.com") == email_key("\u0399\u0308\u0301@example.com")


@pytest.mark.parametrize("login_as", ["Ädam@example.com", "ädam@example.com",
                                      "ÄDAM@example.com", "ädam@EXAMPLE.COM",
                                      "A\u0308DAM@example.com", " ädam@example.com "])
def test_a_non_ascii_address_registers_and_logs_in_in_any_case(
        register: Register, client: FlaskClient, login_as: str) -> None:
    register("Ädam@example.com")
    response = authenticate(client, login_as)
    assert response.status_code == 200, response.json


@pytest.mark.parametrize(("first", "second"), [
    ("Émile@example.com", "émile@example.com"),
    ("émile@example.com", "ÉMILE@Example.COM"),
    (NFC, NFD),
    (NFD, NFC.lower()),
    ("Straße@example.com", "strasse@example.com"),
    ("x@bücher.de", "X@xn--bcher-kva.de"),
])
def test_spellings_of_one_address_are_one_account(
        client: FlaskClient, app: Flask, mailbox: Mailbox, first: str, second: str) -> None:
    assert post_register(client, first).status_code == 201
    response = post_register(client, second)
    assert response.status_code == 400
    assert error_types(response) == [(".email", "EmailInUse")]
    assert [email for email, _ in stored(app)] == [first]
    assert len(mailbox.sent) == 1


def test_the_address_is_stored_and_shown_as_typed(
        client: FlaskClient, app: Flask, mailbox: Mailbox) -> None:
    response = post_register(client, "  Ädam@Example.COM \t")
    assert response.status_code == 201, response.json
    user_id = response.json["userId"]
    assert stored(app) == [("Ädam@Example.COM", "ädam@example.com")]
    assert [mail.to for mail in mailbox.sent] == ["Ädam@Example.COM"]
    verified = client.post("/v2/verify-registration", json={
        "email": "ädam@example.com", "userId": user_id, "token": mailbox.last_code()})
    assert verified.status_code == 200, verified.json

    token = authenticate(client, "ÄDAM@example.com").json["token"]
    me = client.get("/v2/users/self", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["email"] == "Ädam@Example.COM"


def test_an_nfd_address_is_shown_as_typed_and_found_by_its_nfc_form(
        register: Register, client: FlaskClient, app: Flask) -> None:
    register(NFD)
    assert stored(app) == [(NFD, "émile@example.com")]
    response = authenticate(client, NFC)
    assert response.status_code == 200, response.json


def test_verify_registration_takes_any_spelling_and_refuses_another_address(
        client: FlaskClient, mailbox: Mailbox) -> None:
    user_id = post_register(client, "Émile@example.com").json["userId"]
    code = mailbox.last_code()
    wrong = client.post("/v2/verify-registration", json={
        "email": "emile@example.com", "userId": user_id, "token": code})
    assert wrong.status_code == 404
    right = client.post("/v2/verify-registration", json={
        "email": NFD.upper(), "userId": user_id, "token": code})
    assert right.status_code == 200, right.json


def test_the_read_only_email_is_accepted_in_any_spelling(
        register: Register, login: Login, client: FlaskClient) -> None:
    register("Ädam@example.com")
    headers = {"Authorization": f"Bearer {login('ädam@example.com')}"}
    path = "/v2/users/self/personal-information"
    same = client.put(path, headers=headers, json={"email": "A\u0308DAM@EXAMPLE.com"})
    assert same.status_code == 204, same.json
    other = client.put(path, headers=headers, json={"email": "adam@example.com"})
    assert error_types(other) == [(".email", "readOnly")]


@pytest.mark.parametrize("email", ["nobody@example.com", "not an address", "ädam@example.com.",
                                   "ädam", "@", " "])
def test_an_invalid_or_unknown_address_is_refused_like_an_unknown_one(
        register: Register, client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
        email: str) -> None:
    register("Ädam@example.com")
    dummies: list[str] = []
    real = PasswordHasher.verify_dummy

    def counting(self: PasswordHasher, password: str) -> None:
        dummies.append(password)
        real(self, password)

    monkeypatch.setattr(PasswordHasher, "verify_dummy", counting)
    response = authenticate(client, email)
    assert response.status_code == 401
    assert response.json == {"type": "ValidationError", "code": 401, "validationErrors": [
        {"path": "", "type": "WrongCredentials", "message": "email or password is wrong"}]}
    assert dummies == [PASSWORD]


def test_the_unique_index_is_on_the_key(app: Flask, client: FlaskClient) -> None:
    assert post_register(client, "Émile@example.com").status_code == 201
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        count = session.scalar(select(func.count()).select_from(User).where(
            User.email_key == "émile@example.com"))
        assert count == 1
        session.add(User(id=uuid.uuid4(), email=NFD.upper(), password_hash="x",
                         first_name="E", last_name="M"))
        with pytest.raises(IntegrityError, match="email_key"):
            session.flush()
        session.rollback()


def test_racing_spellings_of_one_address_register_once(
        make_app: Callable[..., Flask], is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")
    app = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0}})
    locals_ = case_variants("émile", RACERS)
    emails = [unicodedata.normalize("NFD" if i % 3 else "NFC", f"{local}@example.com")
              for i, local in enumerate(locals_)]
    assert len(set(emails)) == RACERS and len({email_key(e) for e in emails}) == 1

    results = race(app, [race_body(email) for email in emails])

    assert_one_winner(results, ".email", "EmailInUse")
    with app.app_context():
        session = app.extensions["usercore"].core.db.session
        assert session.scalar(select(func.count()).select_from(User)) == 1
