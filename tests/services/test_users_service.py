"""users.update_profile and users.delete_account, called directly."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import Table, func, select

from flask_usercore import signals
from flask_usercore.commands.account import DeleteAccount
from flask_usercore.commands.users import MfaFlags, Person, UpdateProfile
from flask_usercore.errors import SecondFactorRequired, ValidationFailed
from flask_usercore.models import Base, CodePurpose, User
from flask_usercore.schemas.users import UserUpdateSchema, dump_user
from flask_usercore.services import codes, users
from flask_usercore.services.authentication import resolve_token
from flask_usercore.services.context import Auth, Deps, commit
from flask_usercore.web.loading import wire_errors

PASSWORD = "correct horse battery staple 9"


def errors_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.to_json()["path"], e.type) for e in exc.value.errors]


def update_errors_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    """The errors with the wire paths the profile update's body schema gives them."""
    return [(e.path, e.type) for e in wire_errors(exc.value, UserUpdateSchema()).errors]


def reload(deps: Deps, user_id: uuid.UUID) -> User:
    deps.session.expire_all()
    user = deps.session.get(User, user_id)
    assert user is not None
    return user


# -- update_profile ------------------------------------------------------------------------

def test_person_replaces_names_and_title(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    changed = users.update_profile(deps, user, UpdateProfile(
        person=Person("Augusta", "King", "ms")))
    assert changed == {"first_name", "last_name", "title"}
    stored = reload(deps, user.id)
    assert (stored.first_name, stored.last_name, stored.title) == ("Augusta", "King", "ms")
    # person is replaced as a whole: no title clears it
    users.update_profile(deps, stored, UpdateProfile(person=Person("Augusta", "King")))
    assert reload(deps, user.id).title is None


def test_profile_fields_and_null_clears(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user(company="Engines Ltd")
    changed = users.update_profile(deps, user, UpdateProfile(nickname="countess", company=None,
                                                             country_code="GB"))
    assert changed == {"nickname", "company", "country_code"}
    stored = reload(deps, user.id)
    assert (stored.nickname, stored.company, stored.country_code) == ("countess", None, "GB")


def test_nothing_changed_sends_no_signal(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user(nickname="countess")
    seen: list[set[str]] = []

    def on_update(sender: Flask, user: User, changed: set[str]) -> None:
        seen.append(changed)

    with signals.profile_updated.connected_to(on_update):
        assert users.update_profile(deps, user, UpdateProfile(nickname="countess")) == set()
        commit(deps.session)
        assert users.update_profile(deps, user, UpdateProfile(location="London")) == {"location"}
        assert seen == []
        commit(deps.session)
    assert seen == [{"location"}]


def test_a_get_body_can_be_sent_back_unchanged(deps: Deps, make_user: Callable[..., User],
                                               enable_mfa: Callable[..., str]) -> None:
    user = make_user(nickname="countess", web_url="https://example.com")
    enable_mfa(user)
    user = reload(deps, user.id)
    body = UserUpdateSchema().load(dump_user(user))
    assert isinstance(body, UpdateProfile)
    assert {"id", "user_id", "email", "created_at", "mfa", "person"} <= set(body.sent())
    assert users.update_profile(deps, user, body) == set()


@pytest.mark.parametrize(("field", "wire", "value"), [
    ("email", ".email", "other@example.com"),
    ("id", ".id", uuid.UUID(int=1)),
    ("user_id", ".userId", uuid.UUID(int=1)),
    ("email_verified", ".emailVerified", False),
    ("mfa", ".mfa", MfaFlags(active=True, setup=True)),
    ("created_at", ".createdAt", dt.datetime(2001, 1, 1, tzinfo=dt.UTC)),
    ("password_updated_at", ".passwordUpdatedAt", dt.datetime(2001, 1, 1, tzinfo=dt.UTC)),
    ("phone_number", ".phoneNumber", "+4915112345678"),
    ("is_employee", ".isEmployee", True),
    ("customer_memberships", ".customerMemberships", {"x": {}}),
])
def test_read_only_fields_must_repeat_their_value(deps: Deps, make_user: Callable[..., User],
                                                  field: str, wire: str, value: Any) -> None:
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        users.update_profile(deps, user, UpdateProfile(**{field: value, "company": "Changed"}))
    assert update_errors_of(exc) == [(wire, "readOnly")]
    assert reload(deps, user.id).company is None


def test_read_only_fields_with_their_current_value_pass(deps: Deps,
                                                        make_user: Callable[..., User]) -> None:
    user = make_user()
    same = UpdateProfile(
        email="ADA@example.com",  # case does not matter
        id=user.id, user_id=user.id, email_verified=True,
        mfa=MfaFlags(active=False, setup=False),
        created_at=user.created_at.replace(microsecond=0),  # the wire has seconds only
        password_updated_at=user.password_updated_at,
        is_employee=False, customer_memberships={}, project_memberships={},
        company="Engines Ltd",
    )
    assert users.update_profile(deps, user, same) == {"company"}


def test_all_read_only_violations_are_reported(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        users.update_profile(deps, user, UpdateProfile(email="x@example.com", is_employee=True))
    assert sorted(update_errors_of(exc)) == [(".email", "readOnly"), (".isEmployee", "readOnly")]


def test_firstname_alone_changes_the_name(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert users.update_profile(deps, user, UpdateProfile(first_name="Augusta")) == {"first_name"}
    assert reload(deps, user.id).first_name == "Augusta"


def test_unchanged_mirror_lets_person_decide(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()  # Ada Lovelace
    changed = users.update_profile(deps, user, UpdateProfile(
        first_name="Ada", last_name="Lovelace", person=Person("Augusta", "King")))
    assert changed == {"first_name", "last_name"}
    stored = reload(deps, user.id)
    assert (stored.first_name, stored.last_name) == ("Augusta", "King")


def test_mirror_agreeing_with_person(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    users.update_profile(deps, user, UpdateProfile(first_name="Augusta",
                                                   person=Person("Augusta", "King")))
    assert reload(deps, user.id).first_name == "Augusta"


def test_mirror_contradicting_person_is_a_conflict(deps: Deps,
                                                   make_user: Callable[..., User]) -> None:
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        users.update_profile(deps, user, UpdateProfile(
            first_name="Augusta", last_name="Byron", person=Person("Ada", "King")))
    assert update_errors_of(exc) == [(".firstname", "conflict"), (".lastname", "conflict")]
    stored = reload(deps, user.id)
    assert (stored.first_name, stored.last_name) == ("Ada", "Lovelace")


def test_nickname_clash_ignores_case(deps: Deps, make_user: Callable[..., User]) -> None:
    make_user("bob@example.com", nickname="Countess")
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        users.update_profile(deps, user, UpdateProfile(nickname="countess"))
    assert update_errors_of(exc) == [(".nickname", "NicknameInUse")]
    assert reload(deps, user.id).nickname is None


def test_own_nickname_in_another_case_is_fine(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user(nickname="countess")
    assert users.update_profile(deps, user, UpdateProfile(nickname="Countess")) == {"nickname"}
    assert reload(deps, user.id).nickname == "Countess"


def test_nickname_clash_caught_by_the_unique_index(
        deps: Deps, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("bob@example.com", nickname="countess")
    user = make_user()
    monkeypatch.setattr(users, "nickname_taken", lambda *args, **kwargs: False)
    with pytest.raises(ValidationFailed) as exc:
        users.update_profile(deps, user, UpdateProfile(nickname="COUNTESS"))
    assert update_errors_of(exc) == [(".nickname", "NicknameInUse")]


# -- delete_account ------------------------------------------------------------------------

def _user_tables() -> list[tuple[Table, list[Any]]]:
    """Every table with its columns that reference a user (the users table by its id)."""
    result = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.c
                   if any(fk.column.table.name == User.__tablename__ for fk in c.foreign_keys)]
        if table.name == User.__tablename__:
            columns.append(table.c.id)
        if columns:
            result.append((table, columns))
    return result


def rows_per_table(deps: Deps, user_id: uuid.UUID) -> dict[str, int]:
    counts = {}
    for table, columns in _user_tables():
        condition = columns[0] == user_id
        for column in columns[1:]:
            condition = condition | (column == user_id)
        counts[table.name] = deps.session.scalar(
            select(func.count()).select_from(table).where(condition)) or 0
    return counts


@pytest.fixture
def populated(deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
              sign_in: Callable[..., Auth]) -> Callable[[str], tuple[Auth, str]]:
    """A user with rows in every table: sessions, codes, MFA secret and recovery codes."""

    def make(email: str) -> tuple[Auth, str]:
        user = make_user(email)
        sign_in(user)
        auth = sign_in(user)
        codes.issue_code(deps, user.id, CodePurpose.PASSWORD_RESET)
        codes.issue_code(deps, user.id, CodePurpose.EMAIL_CHANGE, target="new@example.com")
        deps.session.commit()
        secret = enable_mfa(user, ("RECOVERYONE", "RECOVERYTWO"))
        fresh = resolve_token(deps, auth.token)
        assert fresh is not None
        return fresh, secret

    return make


def test_delete_account_removes_every_row_of_the_user(
        deps: Deps, populated: Callable[[str], tuple[Auth, str]]) -> None:
    victim, secret = populated("ada@example.com")
    other, _ = populated("bob@example.com")
    victim_id, other_id = victim.user.id, other.user.id
    before_victim, before_other = rows_per_table(deps, victim_id), rows_per_table(deps, other_id)
    populated_tables = {name for name, count in before_victim.items() if count}
    assert {"usercore_users", "usercore_credentials", "usercore_one_time_codes",
            "usercore_mfa_secrets", "usercore_recovery_codes"} <= populated_tables
    deleted: list[dict[str, Any]] = []

    def on_delete(sender: Flask, **kwargs: Any) -> None:
        deleted.append(kwargs)

    with signals.user_deleted.connected_to(on_delete):
        users.delete_account(deps, victim, DeleteAccount(PASSWORD, pyotp.TOTP(secret).now()))
        commit(deps.session)
    assert deleted == [{"user_id": victim_id, "email": "ada@example.com"}]
    assert rows_per_table(deps, victim_id) == dict.fromkeys(before_victim, 0)
    assert rows_per_table(deps, other_id) == before_other
    assert resolve_token(deps, victim.token) is None
    assert resolve_token(deps, other.token) is not None


@pytest.mark.parametrize("password", ["", "wrong password"])
def test_delete_account_needs_the_password(
        deps: Deps, make_user: Callable[..., User], sign_in: Callable[..., Auth],
        password: str) -> None:
    auth = sign_in(make_user())
    with pytest.raises(ValidationFailed) as exc:
        users.delete_account(deps, auth, DeleteAccount(password, None))
    assert errors_of(exc) == [(".password", "WrongPassword")]
    assert rows_per_table(deps, auth.user.id)["usercore_users"] == 1


def test_delete_account_without_mfa_needs_no_code(deps: Deps, make_user: Callable[..., User],
                                                  sign_in: Callable[..., Auth]) -> None:
    auth = sign_in(make_user())
    users.delete_account(deps, auth, DeleteAccount(PASSWORD, None))
    assert sum(rows_per_table(deps, auth.user.id).values()) == 0


def test_delete_account_with_mfa_needs_a_valid_code(
        deps: Deps, populated: Callable[[str], tuple[Auth, str]]) -> None:
    auth, _ = populated("ada@example.com")
    user_id = auth.user.id
    before = rows_per_table(deps, user_id)
    with pytest.raises(SecondFactorRequired):
        users.delete_account(deps, auth, DeleteAccount(PASSWORD, None))
    with pytest.raises(ValidationFailed) as exc:
        users.delete_account(deps, auth, DeleteAccount(PASSWORD, "NOTACODE"))
    assert errors_of(exc) == [(".multiFactorCode", "MfaCodeNotValid")]
    deps.session.rollback()
    assert rows_per_table(deps, user_id) == before
    fresh = resolve_token(deps, auth.token)
    assert fresh is not None
    users.delete_account(deps, fresh, DeleteAccount(PASSWORD, "RECOVERYONE"))
    assert sum(rows_per_table(deps, user_id).values()) == 0
