"""codes.issue_code / consume_code: single use, expiry, guess limit, newest code wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from flask_usercore.models import CodePurpose, OneTimeCode, User
from flask_usercore.security.codes import hash_code
from flask_usercore.services.codes import consume_code, issue_code
from flask_usercore.services.context import Deps

PURPOSE = CodePurpose.PASSWORD_RESET


def wrong(code: str) -> str:
    """A code of the same shape that differs from ``code``."""
    return f"{(int(code) + 1) % 10**len(code):0{len(code)}d}"


def stored_rows(deps: Deps, user: User) -> list[OneTimeCode]:
    deps.session.expire_all()
    return list(deps.session.scalars(
        select(OneTimeCode).where(OneTimeCode.user_id == user.id)
        .order_by(OneTimeCode.created_at)))


def issue(deps: Deps, user: User, purpose: str = PURPOSE, **kwargs: Any) -> str:
    code = issue_code(deps, user.id, purpose, **kwargs)
    deps.session.commit()
    return code


def test_issue_stores_only_a_keyed_hash(deps: Deps, make_user: Callable[..., User],
                                        clock: Any) -> None:
    user = make_user()
    code = issue(deps, user, target="new@example.com")
    assert len(code) == 8 and code.isdigit()
    [row] = stored_rows(deps, user)
    assert row.code_hash == hash_code(deps.config.secret_key, PURPOSE, code)
    assert code not in row.code_hash
    assert (row.purpose, row.target, row.attempts, row.used_at) == (PURPOSE, "new@example.com",
                                                                    0, None)
    assert row.expires_at == clock.now + dt.timedelta(seconds=deps.config.code_ttl)


def test_consume_once(deps: Deps, make_user: Callable[..., User], clock: Any) -> None:
    user = make_user()
    code = issue(deps, user)
    row = consume_code(deps, user.id, PURPOSE, code)
    assert row is not None and row.user_id == user.id
    deps.session.commit()
    assert stored_rows(deps, user)[0].used_at == clock.now
    assert consume_code(deps, user.id, PURPOSE, code) is None


def test_consume_is_bound_to_user_and_purpose(deps: Deps, make_user: Callable[..., User]) -> None:
    user, other = make_user(), make_user("bob@example.com")
    code = issue(deps, user)
    assert consume_code(deps, user.id, CodePurpose.EMAIL_CHANGE, code) is None
    assert consume_code(deps, other.id, PURPOSE, code) is None
    assert consume_code(deps, user.id, PURPOSE, code) is not None


def test_code_expires(deps: Deps, make_user: Callable[..., User], clock: Any) -> None:
    user = make_user()
    code = issue(deps, user)
    clock.advance(deps.config.code_ttl)  # expires_at is not included
    assert consume_code(deps, user.id, PURPOSE, code) is None
    assert stored_rows(deps, user)[0].attempts == 0  # not a guess: there was no live code


def test_code_works_until_just_before_expiry(deps: Deps, make_user: Callable[..., User],
                                             clock: Any) -> None:
    user = make_user()
    code = issue(deps, user)
    clock.advance(deps.config.code_ttl - 1)
    assert consume_code(deps, user.id, PURPOSE, code) is not None


def test_wrong_guesses_are_counted_and_committed(app: Flask, deps: Deps,
                                                 make_user: Callable[..., User]) -> None:
    user = make_user()
    code = issue(deps, user)
    assert consume_code(deps, user.id, PURPOSE, wrong(code)) is None
    deps.session.rollback()  # the caller fails its request
    assert stored_rows(deps, user)[0].attempts == 1
    with app.app_context():  # another request's session sees it too
        other_session = app.extensions["usercore"].deps.session
        assert other_session.scalar(select(OneTimeCode.attempts)) == 1


def test_guess_limit_burns_the_code(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    code = issue(deps, user)
    limit = deps.config.code_max_attempts
    for _ in range(limit):
        assert consume_code(deps, user.id, PURPOSE, wrong(code)) is None
        deps.session.rollback()
    assert stored_rows(deps, user)[0].attempts == limit
    assert consume_code(deps, user.id, PURPOSE, code) is None
    assert stored_rows(deps, user)[0].attempts == limit  # no more counting on a burnt code


def test_right_code_within_the_limit(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    code = issue(deps, user)
    for _ in range(deps.config.code_max_attempts - 1):
        assert consume_code(deps, user.id, PURPOSE, wrong(code)) is None
    assert consume_code(deps, user.id, PURPOSE, code) is not None


def test_configured_guess_limit(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_CODE_MAX_ATTEMPTS": 1})
    with app.app_context():
        deps: Deps = app.extensions["usercore"].deps
        from flask_usercore.commands.registration import Person, Register
        from flask_usercore.services.registration import create_user

        user = create_user(deps, Register("ada@example.com", "correct horse battery staple 9",
                                          Person("Ada", "Lovelace")))
        code = issue(deps, user)
        assert consume_code(deps, user.id, PURPOSE, wrong(code)) is None
        assert consume_code(deps, user.id, PURPOSE, code) is None


def test_a_newer_code_invalidates_the_older(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    older = issue(deps, user)
    newer = issue(deps, user)
    rows = stored_rows(deps, user)
    assert len(rows) == 2
    assert rows[0].used_at is not None and rows[1].used_at is None
    if older != newer:
        assert consume_code(deps, user.id, PURPOSE, older) is None
    assert consume_code(deps, user.id, PURPOSE, newer) is not None


def test_a_new_code_of_another_purpose_leaves_the_first_alive(
        deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    code = issue(deps, user)
    issue(deps, user, CodePurpose.EMAIL_CHANGE)
    assert consume_code(deps, user.id, PURPOSE, code) is not None


def test_a_consumed_code_is_used_before_the_commit(deps: Deps,
                                                       make_user: Callable[..., User]) -> None:
    user = make_user()
    code = issue(deps, user)
    first = consume_code(deps, user.id, PURPOSE, code)
    assert first is not None
    # not committed yet: the same session sees the row as used
    assert consume_code(deps, user.id, PURPOSE, code) is None


@pytest.mark.parametrize("guess", ["", "1234567", "123456789", "abcdefgh"])
def test_malformed_guesses_are_wrong_guesses(deps: Deps, make_user: Callable[..., User],
                                             guess: str) -> None:
    user = make_user()
    issue(deps, user)
    assert consume_code(deps, user.id, PURPOSE, guess) is None
    assert stored_rows(deps, user)[0].attempts == 1
