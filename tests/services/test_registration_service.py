"""registration.register / create_user / verify_registration, called directly."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from flask_usercore import Mail, signals
from flask_usercore.commands.registration import Person, Register
from flask_usercore.errors import NotFound, ValidationFailed
from flask_usercore.models import CodePurpose, OneTimeCode, User
from flask_usercore.services import codes, registration
from flask_usercore.services.context import Deps, commit, rollback

PASSWORD = "correct horse battery staple 9"
PERSON = Person("Ada", "Lovelace")


def error_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    [error] = exc.value.errors
    return error.to_json()["path"], error.type


def count_users(deps: Deps) -> int:
    return deps.session.scalar(select(func.count()).select_from(User)) or 0


def register(deps: Deps, email: str = "ada@example.com", **profile: Any) -> User:
    """Register as the operation does: the service, then the one commit."""
    user = registration.register(deps, Register(email, PASSWORD, PERSON, **profile))
    commit(deps.session)
    return user


# -- register ------------------------------------------------------------------------------

def test_register_stores_an_unverified_user_and_mails_a_code(deps: Deps, mailbox: Any) -> None:
    received: list[User] = []

    def on_registered(sender: Flask, user: User) -> None:
        received.append(user)

    with signals.user_registered.connected_to(on_registered):
        user = register(deps, nickname="ada", company="Analytical Engines")
    deps.session.expire_all()
    stored = deps.session.get(User, user.id)
    assert stored is not None
    assert stored.email == "ada@example.com"
    assert (stored.first_name, stored.last_name) == ("Ada", "Lovelace")
    assert (stored.nickname, stored.company) == ("ada", "Analytical Engines")
    assert stored.email_verified_at is None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert [m.to for m in mailbox.sent] == ["ada@example.com"]
    mail = mailbox.sent[0]
    code = mailbox.last_code("ada@example.com")
    assert len(code) == 8 and code.isdigit()
    assert str(user.id) in mail.body
    assert [u.id for u in received] == [user.id]
    # only a keyed hash of the code is stored
    row = deps.session.scalars(select(OneTimeCode).where(OneTimeCode.user_id == user.id)).one()
    assert row.purpose == CodePurpose.REGISTRATION
    assert code not in row.code_hash


def test_register_mails_and_signals_only_after_the_commit(deps: Deps, mailbox: Any) -> None:
    received: list[User] = []
    with signals.user_registered.connected_to(lambda sender, user: received.append(user)):
        registration.register(deps, Register("ada@example.com", PASSWORD, PERSON))
        assert (mailbox.sent, received) == ([], [])  # nothing announced before the commit
        rollback(deps.session)
        assert (mailbox.sent, received, count_users(deps)) == ([], [], 0)
        register(deps)
    assert [m.to for m in mailbox.sent] == ["ada@example.com"] and len(received) == 1


def test_a_mail_that_fails_after_the_commit_is_signalled(make_app: Callable[..., Flask],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    class BrokenMailer:
        def send(self, mail: Mail) -> None:
            raise ConnectionError("smtp down")

    app = make_app(mailer=BrokenMailer())
    failed: list[tuple[Mail, Exception]] = []
    with app.app_context(), signals.delivery_failed.connected_to(
            lambda sender, mail, error, **extra: failed.append((mail, error))):
        deps = app.extensions["usercore"].deps
        register(deps)  # the account stands: the code can be sent again
        assert count_users(deps) == 1
    [(mail, error)] = failed
    assert mail.to == "ada@example.com" and isinstance(error, ConnectionError)
    assert "could not be delivered: ConnectionError" in caplog.text


# -- create_user ---------------------------------------------------------------------------

def test_create_user_with_verified_at(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.email_verified_at is not None
    assert user.mfa_active is False


def test_create_user_email_in_use_ignores_case(deps: Deps, make_user: Callable[..., User]) -> None:
    make_user("ada@example.com")
    with pytest.raises(ValidationFailed) as exc:
        make_user("ADA@Example.COM")
    assert error_of(exc) == (".email", "EmailInUse")
    assert count_users(deps) == 1


def test_create_user_nickname_in_use_ignores_case(deps: Deps,
                                                  make_user: Callable[..., User]) -> None:
    make_user("ada@example.com", nickname="Countess")
    with pytest.raises(ValidationFailed) as exc:
        make_user("other@example.com", nickname="countess")
    assert error_of(exc) == (".nickname", "NicknameInUse")


def test_unique_index_catches_an_email_clash_the_lookup_missed(
        deps: Deps, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("ada@example.com")
    # as if a concurrent request inserted the row between the lookup and the insert
    monkeypatch.setattr(registration, "find_by_email", lambda deps, email: None)
    with pytest.raises(ValidationFailed) as exc:
        make_user("Ada@example.com")
    rollback(deps.session)  # as the operation does (services never roll back)
    assert error_of(exc) == (".email", "EmailInUse")
    assert count_users(deps) == 1


def test_unique_index_catches_a_nickname_clash_the_lookup_missed(
        deps: Deps, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("ada@example.com", nickname="countess")
    monkeypatch.setattr(registration, "nickname_taken", lambda deps, nickname: False)
    with pytest.raises(ValidationFailed) as exc:
        make_user("other@example.com", nickname="COUNTESS")
    assert error_of(exc) == (".nickname", "NicknameInUse")


@pytest.mark.parametrize(("password", "kind"), [
    ("short", "PasswordTooWeak"),
    ("passwordpassword", "PasswordIsLeaked"),
    ("monkeymonkey", "PasswordTooWeak"),
    ("Vb7#kLm2!qXzqwert", "PasswordTooWeak"),
    ("Ada.Lovelace.1815@example.com", "PasswordEqualsEmail"),
])
def test_create_user_enforces_the_password_policy(
        deps: Deps, make_user: Callable[..., User], password: str, kind: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        make_user("ada.lovelace.1815@example.com", password=password)
    assert error_of(exc) == (".password", kind)
    assert count_users(deps) == 0


def test_create_user_counts_the_names_as_guessable(deps: Deps,
                                                   make_user: Callable[..., User]) -> None:
    # strong on its own, weak when it is the user's own name
    with pytest.raises(ValidationFailed) as exc:
        make_user("z@example.com", password="zuckerbergwojcik", first_name="Zuckerberg",
                  last_name="Wojcik")
    assert error_of(exc) == (".password", "PasswordTooWeak")
    assert make_user("z@example.com", password="zuckerbergwojcik").id


def test_create_user_without_commit_can_be_rolled_back(deps: Deps) -> None:
    registration.create_user(deps, Register("ada@example.com", PASSWORD, PERSON))
    deps.session.rollback()
    assert count_users(deps) == 0


# -- verify_registration -------------------------------------------------------------------

def test_verify_registration_marks_the_user_verified(deps: Deps, mailbox: Any) -> None:
    user = register(deps)
    verified = registration.verify_registration(
        deps, user_id=user.id, email="ADA@example.com", token=mailbox.last_code())
    commit(deps.session)
    assert verified.id == user.id
    deps.session.expire_all()
    stored = deps.session.get(User, user.id)
    assert stored is not None and stored.email_verified_at is not None


def test_verify_registration_twice(deps: Deps, mailbox: Any) -> None:
    user = register(deps)
    code = mailbox.last_code()
    registration.verify_registration(deps, user_id=user.id, email=user.email, token=code)
    with pytest.raises(ValidationFailed) as exc:
        registration.verify_registration(deps, user_id=user.id, email=user.email, token=code)
    assert error_of(exc) == (".userId", "UserRegistrationAlreadyVerified")


def test_verify_registration_wrong_token(deps: Deps, mailbox: Any) -> None:
    user = register(deps)
    code = mailbox.last_code()
    wrong = "00000000" if code != "00000000" else "11111111"
    with pytest.raises(ValidationFailed) as exc:
        registration.verify_registration(deps, user_id=user.id, email=user.email, token=wrong)
    assert error_of(exc) == (".token", "WrongVerificationToken")
    deps.session.rollback()
    deps.session.expire_all()
    stored = deps.session.get(User, user.id)
    assert stored is not None and stored.email_verified_at is None
    # the right code still works afterwards (one wrong guess is within the limit)
    registration.verify_registration(deps, user_id=user.id, email=user.email, token=code)


def test_verify_registration_code_from_a_later_mail_wins(deps: Deps, mailbox: Any) -> None:
    user = register(deps)
    first = mailbox.last_code()
    later = codes.issue_code(deps, user.id, CodePurpose.REGISTRATION)
    deps.session.commit()
    if later != first:
        with pytest.raises(ValidationFailed):
            registration.verify_registration(deps, user_id=user.id, email=user.email,
                                             token=first)
    registration.verify_registration(deps, user_id=user.id, email=user.email, token=later)


@pytest.mark.parametrize("which", ["user_id", "email"])
def test_verify_registration_unknown_user_or_other_email(deps: Deps, mailbox: Any,
                                                         which: str) -> None:
    user = register(deps)
    register(deps, "bob@example.com")
    facts: dict[str, Any] = {"user_id": user.id, "email": user.email,
                             "token": mailbox.last_code("ada@example.com")}
    facts[which] = uuid.uuid4() if which == "user_id" else "bob@example.com"
    with pytest.raises(NotFound):
        registration.verify_registration(deps, **facts)
