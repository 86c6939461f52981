"""services.support_code directly: distinct live codes, key rotation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from flask_usercore.commands.registration import Person, Register
from flask_usercore.models import User
from flask_usercore.services import support_code
from flask_usercore.services.context import Deps, commit
from flask_usercore.services.registration import create_user


def test_a_fresh_code_never_equals_another_users_live_one(
        deps: Deps, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    ada, grace = make_user("ada@example.com"), make_user("grace@example.com")
    taken = support_code.support_code(deps, ada)
    commit(deps.session)
    derived: Iterator[str] = iter([taken.support_code, taken.support_code, "424242"])
    monkeypatch.setattr(support_code, "_derive", lambda key, nonce: next(derived))
    fresh = support_code.support_code(deps, grace)
    commit(deps.session)
    assert fresh.support_code == "424242"
    assert [o.email for o in support_code.find_support_code(deps, taken.support_code)] == [
        "ada@example.com"]


def test_codes_made_under_an_old_key_are_shown_and_found(
        make_app: Callable[..., Flask]) -> None:
    old_key, new_key = "the-old-secret-key-0123456789", "the-new-secret-key-0123456789"
    old_app = make_app({"USERCORE_SECRET_KEY": old_key})
    with old_app.app_context():
        deps = old_app.extensions["usercore"].deps
        user = create_user(deps, Register("ada@example.com", "correct horse battery 9",
                                          Person("Ada", "Lovelace")))
        issued = support_code.support_code(deps, user)
        user_id = user.id
        commit(deps.session)
    new_app = make_app({"USERCORE_SECRET_KEY": new_key,
                        "USERCORE_SECRET_KEY_FALLBACKS": [old_key]})
    with new_app.app_context():
        deps = new_app.extensions["usercore"].deps
        again = support_code.support_code(deps, deps.session.get(User, user_id))
        assert again == issued
        assert [o.user_id for o in support_code.find_support_code(deps, issued.support_code)] \
            == [user_id]


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", " 12 34 "])
def test_malformed_codes_find_nobody(deps: Deps, code: str) -> None:
    assert support_code.find_support_code(deps, code) == []
