"""``POST /v2/register`` and ``POST /v2/verify-registration`` through the Flask test client."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.commands import registration as commands
from flask_usercore.models import OneTimeCode, User
from flask_usercore.schemas.base import load
from flask_usercore.schemas.registration import RegisterSchema
from tests.conftest import PASSWORD, Mailbox

PERSON = {"firstName": "Ada", "lastName": "Lovelace"}
PROFILE = {
    "nickname": "ada.L_1815-x",
    "displayName": "Countess of Lovelace",
    "company": "Analytical Engines Ltd.",
    "location": "London",
    "countryCode": "GB",
    "webUrl": "https://ada.example.org/about?x=1",
    "pictureUrl": "http://localhost:8080/ada.png",
    "accountType": "organization",
}

Register = Callable[..., dict[str, Any]]


def post_register(client: FlaskClient, email: str = "ada@example.com", *,
                  password: str = PASSWORD, **extra: Any) -> Any:
    body = {"email": email, "password": password, "person": dict(PERSON), **extra}
    return client.post("/v2/register", json=body)


def error_types(response: Any) -> list[tuple[str, str]]:
    """``(path, type)`` of each ``validationErrors`` item of a 400."""
    assert response.status_code == 400, response.json
    assert response.json["type"] == "ValidationError"
    assert response.json["code"] == 400
    assert isinstance(response.json["message"], str)
    return [(e["path"], e["type"]) for e in response.json["validationErrors"]]


def user_count(app: Flask) -> int:
    with app.app_context():
        db = app.extensions["usercore"].core.db
        return int(db.session.scalar(select(func.count()).select_from(User)))


def stored_user(app: Flask, user_id: str) -> User:
    with app.app_context():
        db = app.extensions["usercore"].core.db
        user = db.session.get(User, uuid.UUID(user_id))
        assert user is not None
        db.session.expunge(user)
        return user


def verify(client: FlaskClient, user_id: str, token: str,
           email: str = "ada@example.com") -> Any:
    return client.post("/v2/verify-registration",
                       json={"email": email, "userId": user_id, "token": token})


class TestRegister:
    def test_created_with_user_id_and_mail_with_code(self, client: FlaskClient, app: Flask,
                                                     mailbox: Mailbox) -> None:
        response = post_register(client)
        assert response.status_code == 201
        assert set(response.json) == {"userId"}
        user_id = str(uuid.UUID(response.json["userId"]))
        assert user_id == response.json["userId"]
        assert [m.to for m in mailbox.sent] == ["ada@example.com"]
        code = mailbox.last_code("ada@example.com")
        assert code.isdigit() and 6 <= len(code) <= 16
        user = stored_user(app, user_id)
        assert user.email == "ada@example.com"
        assert user.email_verified_at is None
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")

    def test_unverified_user_cannot_log_in_yet(self, client: FlaskClient) -> None:
        assert post_register(client).status_code == 201
        response = client.post("/v2/authenticate",
                               json={"email": "ada@example.com", "password": PASSWORD})
        assert response.status_code == 401
        assert response.json["validationErrors"][0]["type"] == "EmailAddressNotVerified"

    @pytest.mark.parametrize("second", ["ada@example.com", "ADA@example.com",
                                        "Ada@EXAMPLE.com"])
    def test_email_in_use_ignoring_case(self, client: FlaskClient, app: Flask,
                                        mailbox: Mailbox, second: str) -> None:
        assert post_register(client).status_code == 201
        response = post_register(client, second)
        assert error_types(response) == [(".email", "EmailInUse")]
        assert user_count(app) == 1
        assert len(mailbox.sent) == 1

    @pytest.mark.parametrize("second", ["ada", "ADA", "aDa"])
    def test_nickname_in_use_ignoring_case(self, client: FlaskClient, app: Flask,
                                           second: str) -> None:
        assert post_register(client, nickname="Ada").status_code == 201
        response = post_register(client, "other@example.com", nickname=second)
        assert error_types(response) == [(".nickname", "NicknameInUse")]
        assert user_count(app) == 1

    @pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaaaaaa", "monkeymonkey",
                                          "qwertyuiopasdf", "abcdefghijklmn"])
    def test_weak_password(self, client: FlaskClient, app: Flask, mailbox: Mailbox,
                           password: str) -> None:
        response = post_register(client, password=password)
        assert error_types(response) == [(".password", "PasswordTooWeak")]
        assert user_count(app) == 0
        assert mailbox.sent == []

    def test_password_equal_to_email(self, client: FlaskClient, app: Flask) -> None:
        email = "grace.hopper.1906@example.com"
        response = post_register(client, email, password=email.upper())
        assert error_types(response) == [(".password", "PasswordEqualsEmail")]
        assert user_count(app) == 0

    def test_every_profile_field_is_stored_and_returned(
            self, client: FlaskClient, app: Flask, mailbox: Mailbox,
            login: Callable[..., str]) -> None:
        response = client.post("/v2/register", json={
            "email": "ada@example.com", "password": PASSWORD,
            "person": {**PERSON, "title": "ms"}, **PROFILE})
        assert response.status_code == 201, response.json
        user_id = response.json["userId"]
        user = stored_user(app, user_id)
        assert (user.nickname, user.display_name, user.company, user.location,
                user.country_code, user.web_url, user.picture_url, user.account_type,
                user.title) == (*PROFILE.values(), "ms")
        assert verify(client, user_id, mailbox.last_code()).status_code == 200
        token = login()
        body = client.get("/v2/users/self", headers={"x-access-token": token}).json
        assert {k: body[k] for k in PROFILE} == PROFILE
        assert body["person"] == {**PERSON, "title": "ms"}
        assert (body["firstname"], body["lastname"]) == ("Ada", "Lovelace")

    def test_account_type_defaults_to_user(self, client: FlaskClient, app: Flask) -> None:
        response = post_register(client)
        assert stored_user(app, response.json["userId"]).account_type == "user"

    @pytest.mark.parametrize(("field", "value"), [
        ("nickname", "n" * 60),
        ("nickname", "A.b_c-9"),
        ("displayName", "d" * 120),
        ("company", "c" * 120),
        ("location", "l" * 120),
        ("countryCode", "DE"),
        ("countryCode", "US"),
        ("webUrl", "http://example.com"),
        ("webUrl", "https://sub.example.com:8443/path?q=1#frag"),
        ("pictureUrl", "https://cdn.example.com/a.png"),
        ("accountType", "user"),
        ("accountType", "organization"),
    ])
    def test_profile_limits_accepted(self, client: FlaskClient, app: Flask, field: str,
                                     value: str) -> None:
        response = post_register(client, **{field: value})
        assert response.status_code == 201, response.json
        assert user_count(app) == 1

    @pytest.mark.parametrize(("field", "value", "kind"), [
        ("nickname", "n" * 61, "maxLength"),
        ("nickname", "", "minLength"),
        ("nickname", "with space", "pattern"),
        ("nickname", "umlaut-ä", "pattern"),
        ("nickname", "at@sign", "pattern"),
        ("displayName", "d" * 121, "maxLength"),
        ("company", "c" * 121, "maxLength"),
        ("location", "l" * 121, "maxLength"),
        ("countryCode", "XX", "format"),
        ("countryCode", "de", "format"),
        ("countryCode", "DEU", "format"),
        ("countryCode", "", "format"),
        ("webUrl", "/relative/path", "format"),
        ("webUrl", "example.com", "format"),
        ("webUrl", "ftp://example.com/file", "format"),
        ("webUrl", "javascript:alert(1)", "format"),
        ("pictureUrl", "file:///etc/passwd", "format"),
        ("pictureUrl", "//example.com/a.png", "format"),
        ("accountType", "admin", "enum"),
        ("accountType", "User", "enum"),
    ])
    def test_profile_limits_refused(self, client: FlaskClient, app: Flask, mailbox: Mailbox,
                                    field: str, value: str, kind: str) -> None:
        errors = error_types(post_register(client, **{field: value}))
        assert (f".{field}", kind) in errors
        assert {path for path, _ in errors} == {f".{field}"}
        assert user_count(app) == 0
        assert mailbox.sent == []

    def test_invalid_title_is_refused(self, client: FlaskClient, app: Flask) -> None:
        response = client.post("/v2/register", json={
            "email": "ada@example.com", "password": PASSWORD,
            "person": {**PERSON, "title": "dr"}})
        assert error_types(response) == [(".person.title", "enum")]
        assert user_count(app) == 0

    def test_user_registered_signal(self, client: FlaskClient, app: Flask) -> None:
        received: list[dict[str, Any]] = []

        def receiver(sender: Any, **kwargs: Any) -> None:
            received.append({"sender": sender, "user_id": str(kwargs["user"].id), **kwargs})

        with signals.user_registered.connected_to(receiver, sender=app):
            response = post_register(client)
            post_register(client)  # EmailInUse: no second signal
        assert len(received) == 1
        assert received[0]["sender"] is app
        assert set(received[0]) == {"sender", "user_id", "user"}
        assert isinstance(received[0]["user"], User)
        assert received[0]["user_id"] == response.json["userId"]


class TestVerifyRegistration:
    def test_verifies_with_empty_object(self, client: FlaskClient, app: Flask,
                                        mailbox: Mailbox) -> None:
        user_id = post_register(client).json["userId"]
        response = verify(client, user_id, mailbox.last_code())
        assert response.status_code == 200
        assert response.json == {}
        assert stored_user(app, user_id).email_verified_at is not None

    def test_email_is_matched_ignoring_case(self, client: FlaskClient, app: Flask,
                                            mailbox: Mailbox) -> None:
        user_id = post_register(client).json["userId"]
        response = verify(client, user_id, mailbox.last_code(), email="ADA@Example.COM")
        assert response.status_code == 200, response.json

    def test_verified_user_can_log_in(self, client: FlaskClient, register: Register,
                                      login: Callable[..., str]) -> None:
        register()
        assert login()

    def test_wrong_token(self, client: FlaskClient, app: Flask, mailbox: Mailbox) -> None:
        user_id = post_register(client).json["userId"]
        code = mailbox.last_code()
        wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
        response = verify(client, user_id, wrong)
        assert error_types(response) == [(".token", "WrongVerificationToken")]
        assert stored_user(app, user_id).email_verified_at is None
        assert verify(client, user_id, code).status_code == 200

    def test_code_is_single_use(self, client: FlaskClient, app: Flask,
                                mailbox: Mailbox) -> None:
        user_id = post_register(client).json["userId"]
        code = mailbox.last_code()
        assert verify(client, user_id, code).status_code == 200
        with app.app_context():
            db = app.extensions["usercore"].core.db
            row = db.session.scalars(select(OneTimeCode)).one()
            assert row.used_at is not None
        response = verify(client, user_id, code)
        assert error_types(response) == [(".userId", "UserRegistrationAlreadyVerified")]

    def test_code_of_another_user_does_not_work(self, client: FlaskClient,
                                                mailbox: Mailbox) -> None:
        ada = post_register(client).json["userId"]
        ada_code = mailbox.last_code("ada@example.com")
        grace = post_register(client, "grace@example.com").json["userId"]
        grace_code = mailbox.last_code("grace@example.com")
        if grace_code != ada_code:
            response = verify(client, grace, ada_code, email="grace@example.com")
            assert error_types(response) == [(".token", "WrongVerificationToken")]
        assert verify(client, ada, ada_code).status_code == 200

    def test_already_verified(self, client: FlaskClient, register: Register) -> None:
        user_id = register()["userId"]
        response = verify(client, user_id, "12345678")
        assert error_types(response) == [(".userId", "UserRegistrationAlreadyVerified")]

    def test_unknown_user_id_is_404(self, client: FlaskClient, mailbox: Mailbox) -> None:
        post_register(client)
        response = verify(client, str(uuid.uuid4()), mailbox.last_code())
        assert response.status_code == 404
        assert response.json["type"] == "NotFound"
        assert response.json["code"] == 404
        assert isinstance(response.json["message"], str)

    def test_email_of_another_account_is_404(self, client: FlaskClient,
                                             mailbox: Mailbox) -> None:
        user_id = post_register(client).json["userId"]
        response = verify(client, user_id, mailbox.last_code(), email="eve@example.com")
        assert response.status_code == 404
        assert response.json["type"] == "NotFound"

    class TestGuessLimit:
        MAX_ATTEMPTS = 3

        @pytest.fixture
        def app(self, make_app: Callable[..., Flask]) -> Flask:
            return make_app({"USERCORE_CODE_MAX_ATTEMPTS": self.MAX_ATTEMPTS})

        def test_right_code_fails_after_too_many_wrong_guesses(
                self, client: FlaskClient, app: Flask, mailbox: Mailbox) -> None:
            user_id = post_register(client).json["userId"]
            code = mailbox.last_code()
            wrong = [f"{n:08d}" for n in range(10) if f"{n:08d}" != code]
            for guess in wrong[:self.MAX_ATTEMPTS]:
                response = verify(client, user_id, guess)
                assert error_types(response) == [(".token", "WrongVerificationToken")]
            response = verify(client, user_id, code)
            assert error_types(response) == [(".token", "WrongVerificationToken")]
            assert stored_user(app, user_id).email_verified_at is None

        def test_right_code_still_works_below_the_limit(
                self, client: FlaskClient, mailbox: Mailbox) -> None:
            user_id = post_register(client).json["userId"]
            code = mailbox.last_code()
            wrong = [f"{n:08d}" for n in range(10) if f"{n:08d}" != code]
            for guess in wrong[:self.MAX_ATTEMPTS - 1]:
                assert verify(client, user_id, guess).status_code == 400
            assert verify(client, user_id, code).status_code == 200

    def test_registration_verified_signal(self, client: FlaskClient, app: Flask,
                                          mailbox: Mailbox) -> None:
        received: list[dict[str, Any]] = []

        def receiver(sender: Any, **kwargs: Any) -> None:
            received.append({"sender": sender, "user_id": str(kwargs["user"].id), **kwargs})

        user_id = post_register(client).json["userId"]
        code = mailbox.last_code()
        with signals.registration_verified.connected_to(receiver, sender=app):
            verify(client, user_id, "00000000" if code != "00000000" else "11111111")
            assert received == []
            assert verify(client, user_id, code).status_code == 200
        assert len(received) == 1
        assert received[0]["sender"] is app
        assert set(received[0]) == {"sender", "user_id", "user"}
        assert isinstance(received[0]["user"], User)
        assert received[0]["user_id"] == user_id


class TestAbandonedSignUp:
    """An unverified sign-up whose code can no longer be used does not block its address."""

    BODY = {"email": "ada@example.com", "password": PASSWORD,
            "person": {"firstName": "Ada", "lastName": "Lovelace"}, "nickname": "ada"}

    def expire_codes(self, app: Flask) -> None:
        from sqlalchemy import update

        from flask_usercore.models import OneTimeCode, utcnow
        with app.app_context():
            session = app.extensions["usercore"].deps.session
            session.execute(update(OneTimeCode).values(expires_at=utcnow()))
            session.commit()

    def test_a_live_sign_up_still_holds_its_address(self, client: FlaskClient) -> None:
        assert client.post("/v2/register", json=self.BODY).status_code == 201
        again = client.post("/v2/register", json=self.BODY)
        assert again.status_code == 400
        assert again.json["validationErrors"][0]["type"] == "EmailInUse"

    def test_an_abandoned_one_gives_way(self, app: Flask, client: FlaskClient,
                                        mailbox: Any) -> None:
        first = client.post("/v2/register", json=self.BODY).json["userId"]
        self.expire_codes(app)
        second = client.post("/v2/register", json=self.BODY)
        assert second.status_code == 201, second.json
        assert second.json["userId"] != first
        verified = client.post("/v2/verify-registration", json={
            "email": "ada@example.com", "userId": second.json["userId"],
            "token": mailbox.last_code("ada@example.com")})
        assert verified.status_code == 200
        stale = client.post("/v2/verify-registration", json={
            "email": "ada@example.com", "userId": first, "token": "12345678"})
        assert stale.status_code == 404  # the abandoned account is gone

    def test_a_verified_account_never_gives_way(self, app: Flask, client: FlaskClient,
                                                register: Any) -> None:
        register("ada@example.com")
        self.expire_codes(app)
        again = client.post("/v2/register", json=self.BODY)
        assert again.status_code == 400

    def test_a_burnt_code_makes_it_abandoned_too(self, app: Flask, client: FlaskClient) -> None:
        first = client.post("/v2/register", json=self.BODY).json["userId"]
        for guess in range(app.extensions["usercore"].config.code_max_attempts):
            client.post("/v2/verify-registration", json={
                "email": "ada@example.com", "userId": first, "token": f"{guess:08d}"})
        assert client.post("/v2/register", json=self.BODY).status_code == 201


def test_the_body_loads_into_the_register_command() -> None:
    # camelCase on the wire, the command's fields in Python; the person is a command too,
    # and a Profile field not sent is None (the column's default applies)
    command = load(RegisterSchema(), {
        "email": " ada@example.com ", "password": PASSWORD, "displayName": "Countess",
        "person": {"firstName": " Ada ", "lastName": "Lovelace", "title": "ms"}})
    assert command == commands.Register(email="ada@example.com", password=PASSWORD,
                                        person=commands.Person("Ada", "Lovelace", "ms"),
                                        display_name="Countess")
