"""mfa_setup: init, confirm, replace the recovery codes, disable, and the support desk's reset."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from flask_usercore import signals
from flask_usercore.errors import ValidationFailed
from flask_usercore.models import Credential, MfaSecret, OneTimeCode, RecoveryCode, User
from flask_usercore.security.codes import RECOVERY_ALPHABET, hash_code
from flask_usercore.services import mfa_setup
from flask_usercore.services.authentication import start_session
from flask_usercore.services.context import Auth, ClientInfo, Deps, commit, rollback
from flask_usercore.services.mfa import RECOVERY_PURPOSE, check_second_factor, remember_first_factor
from tests.conftest import Mailbox


def fresh(deps: Deps, user: User) -> User:
    deps.session.expire_all()
    loaded = deps.session.get(User, user.id)
    assert loaded is not None
    return loaded


def refused(call: Callable[[], object], type_: str, path: str = "") -> None:
    with pytest.raises(ValidationFailed) as exc:
        call()
    assert [(e.to_json()["path"], e.type) for e in exc.value.errors] == [(path, type_)]


def seed(deps: Deps, user: User) -> str:
    """The user's TOTP seed, decrypted from the database."""
    row = deps.session.scalars(select(MfaSecret).where(MfaSecret.user_id == user.id)).one()
    return deps.box.decrypt(row.secret_encrypted)


def count(deps: Deps, model: Any) -> int:
    return deps.session.scalar(select(func.count()).select_from(model)) or 0


def recorder(received: list[dict[str, Any]]) -> Callable[..., None]:
    return lambda sender, **kwargs: received.append(kwargs)


@pytest.fixture
def active(deps: Deps, make_user: Callable[..., User]) -> tuple[User, str, list[str]]:
    """A user with MFA confirmed through the service: (user, seed, recovery codes)."""
    user = make_user()
    setup = mfa_setup.init_mfa(deps, fresh(deps, user))
    commit(deps.session)
    secret = pyotp.parse_uri(setup.url).secret
    codes = mfa_setup.confirm_mfa(deps, fresh(deps, user), pyotp.TOTP(secret).now())
    commit(deps.session)
    return fresh(deps, user), secret, codes


class TestInit:
    def test_the_seed_is_stored_encrypted_and_shown_in_the_url(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        setup = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        secret = seed(deps, user)
        assert f"secret={secret}" in setup.url
        stored = deps.session.scalar(select(MfaSecret.secret_encrypted))
        assert stored is not None and secret not in stored
        assert mfa_setup.mfa_status(fresh(deps, user)) == {"initialized": True,
                                                           "confirmed": False}

    def test_a_second_init_before_confirmation_replaces_the_seed(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        first = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        second = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        assert first.url != second.url and count(deps, MfaSecret) == 1
        old = pyotp.parse_uri(first.url).secret
        refused(lambda: mfa_setup.confirm_mfa(deps, fresh(deps, user), pyotp.TOTP(old).now()),
                "MultiFactorCodeNotValid", ".multiFactorCode")

    def test_unverified_address_is_refused(self, deps: Deps,
                                           make_user: Callable[..., User]) -> None:
        user = make_user(verified=False)
        refused(lambda: mfa_setup.init_mfa(deps, fresh(deps, user)), "EmailAddressNotVerified")
        rollback(deps.session)
        assert count(deps, MfaSecret) == 0

    def test_init_when_active_is_refused(self, deps: Deps,
                                         active: tuple[User, str, list[str]]) -> None:
        user, secret, _ = active
        refused(lambda: mfa_setup.init_mfa(deps, user), "MfaAlreadyConfirmed")
        rollback(deps.session)
        assert seed(deps, user) == secret


class TestConfirm:
    def test_twenty_codes_of_sixteen_characters_stored_as_keyed_hashes(
            self, deps: Deps, active: tuple[User, str, list[str]]) -> None:
        user, _, codes = active
        assert len(codes) == 20 and len(set(codes)) == 20
        assert all(len(c) == 16 and set(c) <= set(RECOVERY_ALPHABET) for c in codes)
        stored = set(deps.session.scalars(select(RecoveryCode.code_hash)))
        assert stored == {hash_code(deps.config.secret_key, RECOVERY_PURPOSE, c) for c in codes}
        assert mfa_setup.mfa_status(user) == {"initialized": True, "confirmed": True}

    def test_the_confirming_code_cannot_be_used_again(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        setup = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        code = pyotp.TOTP(pyotp.parse_uri(setup.url).secret).now()
        mfa_setup.confirm_mfa(deps, fresh(deps, user), code)
        commit(deps.session)
        refused(lambda: check_second_factor(deps, fresh(deps, user), code), "MfaCodeNotValid",
                ".multiFactorCode")

    def test_refusals(self, deps: Deps, make_user: Callable[..., User],
                      active: tuple[User, str, list[str]]) -> None:
        user, secret, _ = active
        refused(lambda: mfa_setup.confirm_mfa(deps, user, pyotp.TOTP(secret).now()),
                "MfaAlreadyConfirmed")
        rollback(deps.session)
        other = make_user("bob@example.com")
        refused(lambda: mfa_setup.confirm_mfa(deps, fresh(deps, other), "123456"),
                "MfaNotInitialized")
        rollback(deps.session)
        mfa_setup.init_mfa(deps, fresh(deps, other))
        commit(deps.session)
        refused(lambda: mfa_setup.confirm_mfa(deps, fresh(deps, other), "12345x"),
                "MultiFactorCodeNotValid", ".multiFactorCode")

    def test_mfa_enabled_is_sent_after_the_commit(self, app: Flask, deps: Deps,
                                                  make_user: Callable[..., User]) -> None:
        user = make_user()
        setup = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        received: list[dict[str, Any]] = []
        with signals.mfa_enabled.connected_to(recorder(received), sender=app):
            mfa_setup.confirm_mfa(deps, fresh(deps, user),
                                  pyotp.TOTP(pyotp.parse_uri(setup.url).secret).now())
            assert received == []
            commit(deps.session)
        assert [r["user"].id for r in received] == [user.id]


class TestRegenerate:
    def test_new_codes_replace_every_old_one(self, app: Flask, deps: Deps,
                                             active: tuple[User, str, list[str]]) -> None:
        user, _, old = active
        received: list[dict[str, Any]] = []
        with signals.recovery_codes_regenerated.connected_to(recorder(received), sender=app):
            new = mfa_setup.regenerate_recovery_codes(deps, user, old[0])
            commit(deps.session)
        assert len(new) == 20 and not set(new) & set(old)
        assert count(deps, RecoveryCode) == 20
        assert [r["user"].id for r in received] == [user.id]
        refused(lambda: check_second_factor(deps, fresh(deps, user), old[1]), "MfaCodeNotValid",
                ".multiFactorCode")
        rollback(deps.session)
        check_second_factor(deps, fresh(deps, user), new[0])

    def test_a_wrong_code_is_refused_and_counted(
            self, deps: Deps, active: tuple[User, str, list[str]]) -> None:
        user, _, old = active
        refused(lambda: mfa_setup.regenerate_recovery_codes(deps, user, "ZZZZZZZZZZZZZZZZ"),
                "MultiFactorCodeNotValid", ".multiFactorCode")
        rollback(deps.session)
        assert deps.lockout.failures(user.email_key) == 1
        assert set(deps.session.scalars(select(RecoveryCode.code_hash))) == {
            hash_code(deps.config.secret_key, RECOVERY_PURPOSE, c) for c in old}

    def test_without_active_mfa_it_is_refused(self, deps: Deps,
                                              make_user: Callable[..., User]) -> None:
        user = make_user()
        refused(lambda: mfa_setup.regenerate_recovery_codes(deps, fresh(deps, user), "123456"),
                "MfaNotInitialized")


class TestDisable:
    def test_deletes_seed_and_codes(self, app: Flask, deps: Deps,
                                    active: tuple[User, str, list[str]]) -> None:
        user, secret, _ = active
        received: list[dict[str, Any]] = []
        with signals.mfa_disabled.connected_to(recorder(received), sender=app):
            # the next step's code: the current one confirmed the setup
            mfa_setup.disable_mfa(deps, user, pyotp.TOTP(secret).at(time.time() + 30))
            commit(deps.session)
        assert count(deps, MfaSecret) == 0 and count(deps, RecoveryCode) == 0
        assert [(r["user"].id, r["reason"]) for r in received] == [(user.id, "user")]
        assert mfa_setup.mfa_status(fresh(deps, user)) == {"initialized": False,
                                                           "confirmed": False}

    def test_a_wrong_code_changes_nothing(self, deps: Deps,
                                          active: tuple[User, str, list[str]]) -> None:
        user, _, _ = active
        refused(lambda: mfa_setup.disable_mfa(deps, user, "ZZZZZZZZZZZZZZZZ"),
                "MultiFactorCodeNotValid", ".multiFactorCode")
        rollback(deps.session)
        assert count(deps, MfaSecret) == 1 and count(deps, RecoveryCode) == 20

    def test_a_setup_not_confirmed_is_cancelled_with_a_code_of_its_seed(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        setup = mfa_setup.init_mfa(deps, fresh(deps, user))
        commit(deps.session)
        mfa_setup.disable_mfa(deps, fresh(deps, user),
                              pyotp.TOTP(pyotp.parse_uri(setup.url).secret).now())
        commit(deps.session)
        assert count(deps, MfaSecret) == 0

    def test_nothing_set_up_is_refused(self, deps: Deps,
                                       make_user: Callable[..., User]) -> None:
        user = make_user()
        refused(lambda: mfa_setup.disable_mfa(deps, fresh(deps, user), "123456"),
                "MfaNotInitialized")


class TestReset:
    def test_mfa_off_sessions_ended_user_mailed(
            self, app: Flask, deps: Deps, active: tuple[User, str, list[str]],
            sign_in: Callable[..., Auth], make_user: Callable[..., User],
            mailbox: Mailbox) -> None:
        user, _, _ = active
        bob = make_user("bob@example.com")
        sign_in(bob)
        for _ in range(2):
            start_session(deps, user, ClientInfo())
        remember_first_factor(deps, user)
        commit(deps.session)
        assert count(deps, Credential) == 3
        mailbox.sent.clear()
        received: list[dict[str, Any]] = []
        with signals.mfa_disabled.connected_to(recorder(received), sender=app):
            mfa_setup.reset_mfa(deps, fresh(deps, user))
            assert mailbox.sent == []
            commit(deps.session)
        assert count(deps, MfaSecret) == 0 and count(deps, RecoveryCode) == 0
        assert count(deps, OneTimeCode) == 0  # the remembered first factor too
        assert deps.session.scalars(select(Credential.user_id)).all() == [bob.id]
        assert [(r["user"].id, r["reason"]) for r in received] == [(user.id, "support")]
        [mail] = mailbox.sent
        assert mail.to == user.email and "turned off" in mail.subject

    def test_without_mfa_nothing_changes(self, deps: Deps,
                                         make_user: Callable[..., User]) -> None:
        user = make_user()
        refused(lambda: mfa_setup.reset_mfa(deps, fresh(deps, user)), "MfaNotInitialized")
