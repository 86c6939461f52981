"""mfa.check_second_factor: TOTP and recovery codes, each usable once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from flask_usercore import signals
from flask_usercore.config import ConfigError, load_config
from flask_usercore.errors import SecondFactorRequired, ValidationFailed
from flask_usercore.models import MfaSecret, OneTimeCode, RecoveryCode, User, utcnow
from flask_usercore.security import totp
from flask_usercore.security.codes import hash_code
from flask_usercore.security.crypto import SecretBox
from flask_usercore.services.context import Deps, commit, rollback
from flask_usercore.services.mfa import (
    FIRST_FACTOR_PURPOSE,
    RECOVERY_PURPOSE,
    Factor,
    check_second_factor,
    remember_first_factor,
    use_first_factor,
)
from tests.conftest import Mailbox
from tests.services.conftest import Clock


def refused(deps: Deps, user: User, code: str | None, field: str = "multi_factor_code",
            path: str = ".multiFactorCode") -> None:
    """The code is refused on the command field ``field`` (``path`` outside an operation)."""
    with pytest.raises(ValidationFailed) as exc:
        check_second_factor(deps, user, code, field=field)
    assert [(e.field, e.to_json()["path"], e.type) for e in exc.value.errors] == [
        (field, path, "MfaCodeNotValid")]
    assert exc.value.status == 400
    deps.session.rollback()


def fresh(deps: Deps, user: User) -> User:
    """The user as the next request loads it."""
    deps.session.expire_all()
    loaded = deps.session.get(User, user.id)
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("code", [None, "", "123456", "garbage"])
def test_no_mfa_passes(deps: Deps, make_user: Callable[..., User], code: str | None) -> None:
    check_second_factor(deps, make_user(), code)


def test_unconfirmed_mfa_setup_passes(deps: Deps, make_user: Callable[..., User],
                                      enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    enable_mfa(user, confirmed=False)
    user = fresh(deps, user)
    assert user.mfa_setup and not user.mfa_active
    check_second_factor(deps, user, None)


@pytest.mark.parametrize("code", [None, ""])
def test_missing_code_asks_for_the_second_factor(deps: Deps, make_user: Callable[..., User],
                                                 enable_mfa: Callable[..., str],
                                                 code: str | None) -> None:
    user = make_user()
    enable_mfa(user)
    with pytest.raises(SecondFactorRequired) as exc:
        check_second_factor(deps, fresh(deps, user), code)
    assert exc.value.status == 202


def test_totp_code_works_once(deps: Deps, make_user: Callable[..., User],
                              enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    check_second_factor(deps, fresh(deps, user), code)
    deps.session.commit()
    step = deps.session.scalar(select(MfaSecret.last_used_step))
    assert step is not None and abs(step - int(now // 30)) <= 1
    refused(deps, fresh(deps, user), code)


def test_totp_code_refused_twice_in_the_same_transaction(deps: Deps,
                                                         make_user: Callable[..., User],
                                                         enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    user = fresh(deps, user)
    code = pyotp.TOTP(secret).now()
    check_second_factor(deps, user, code)
    refused(deps, user, code)  # the same loaded user: the conditional UPDATE refuses


def test_older_totp_step_refused_after_a_newer_one(deps: Deps, make_user: Callable[..., User],
                                                   enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    now = time.time()
    following, current = pyotp.TOTP(secret).at(now + 30), pyotp.TOTP(secret).at(now)
    check_second_factor(deps, fresh(deps, user), following)
    deps.session.commit()
    if current != following:
        refused(deps, fresh(deps, user), current)


def test_recovery_code_works_once(deps: Deps, make_user: Callable[..., User],
                                  enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    enable_mfa(user, ("FIRSTCODE23", "SECONDCODE4"))
    check_second_factor(deps, fresh(deps, user), "FIRSTCODE23")
    deps.session.commit()
    used = {row.code_hash: row.used_at for row in deps.session.scalars(select(RecoveryCode))}
    assert sorted(value is None for value in used.values()) == [False, True]
    refused(deps, fresh(deps, user), "FIRSTCODE23")
    check_second_factor(deps, fresh(deps, user), "SECONDCODE4")


def test_recovery_code_of_another_user_refused(deps: Deps, make_user: Callable[..., User],
                                               enable_mfa: Callable[..., str]) -> None:
    user, other = make_user(), make_user("bob@example.com")
    enable_mfa(user, ("ADAS-CODE99",))
    enable_mfa(other, ("BOBS-CODE99",))
    refused(deps, fresh(deps, user), "BOBS-CODE99")


@pytest.mark.parametrize("code", ["NOTACODE", "12345", "1234567", "abcdef"])
def test_wrong_code_refused(deps: Deps, make_user: Callable[..., User],
                            enable_mfa: Callable[..., str], code: str) -> None:
    user = make_user()
    enable_mfa(user, ("RECOVERY-22",))
    refused(deps, fresh(deps, user), code)


def test_wrong_totp_code_refused_on_a_custom_field(deps: Deps, make_user: Callable[..., User],
                                                    enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    now = time.time()
    valid = {pyotp.TOTP(secret).at(now + d * 30) for d in (-2, -1, 0, 1, 2)}
    code = next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in valid)
    refused(deps, fresh(deps, user), code, field="code", path=".code")


OLD = "old-secret-key-0123456789abcdef"
NEW = "new-secret-key-0123456789abcdef"
LOST = "lost-secret-key-0123456789abcde"


def enable_mfa_under(deps: Deps, user: User, key: str, recovery_codes: tuple[str, ...] = (),
                     recovery_key: str | None = None) -> str:
    """Give ``user`` a TOTP seed encrypted under ``key`` and recovery codes hashed under
    ``recovery_key`` (default: ``key``), as an earlier configuration made them."""
    secret = totp.new_secret()
    deps.session.add(MfaSecret(user_id=user.id, secret_encrypted=SecretBox(key).encrypt(secret),
                               confirmed_at=utcnow()))
    for code in recovery_codes:
        deps.session.add(RecoveryCode(user_id=user.id, code_hash=hash_code(
            recovery_key or key, RECOVERY_PURPOSE, code)))
    deps.session.commit()
    return secret


class TestKeyRotation:
    """The app runs with ``USERCORE_SECRET_KEY=NEW`` and ``USERCORE_SECRET_KEY_FALLBACKS=[OLD]``."""

    @pytest.fixture
    def app(self, make_app: Callable[..., Flask]) -> Flask:
        return make_app({"USERCORE_SECRET_KEY": NEW, "USERCORE_SECRET_KEY_FALLBACKS": [OLD]})

    def test_totp_seed_of_the_old_key_works_and_is_reencrypted(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        secret = enable_mfa_under(deps, user, OLD)
        code = pyotp.TOTP(secret).now()
        check_second_factor(deps, fresh(deps, user), code)
        deps.session.commit()
        stored = fresh(deps, user).mfa
        assert stored is not None
        assert SecretBox(NEW).decrypt(stored.secret_encrypted) == secret  # now under NEW
        refused(deps, fresh(deps, user), code)  # still single use

    def test_totp_seed_of_the_current_key_is_not_rewritten(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        secret = enable_mfa_under(deps, user, NEW)
        before = deps.session.scalar(select(MfaSecret.secret_encrypted))
        check_second_factor(deps, fresh(deps, user), pyotp.TOTP(secret).now())
        deps.session.commit()
        assert deps.session.scalar(select(MfaSecret.secret_encrypted)) == before

    def test_recovery_codes_of_either_key_work_once(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        enable_mfa_under(deps, user, OLD, ("OLDRECOVERY1",))
        deps.session.add(RecoveryCode(user_id=user.id, code_hash=hash_code(
            NEW, RECOVERY_PURPOSE, "NEWRECOVERY1")))
        deps.session.commit()
        for code in ("OLDRECOVERY1", "NEWRECOVERY1"):
            check_second_factor(deps, fresh(deps, user), code)
            deps.session.commit()
            refused(deps, fresh(deps, user), code)

    def test_recovery_code_of_an_unknown_key_is_refused(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        enable_mfa_under(deps, user, OLD, ("LOSTRECOVERY1",), recovery_key=LOST)
        refused(deps, fresh(deps, user), "LOSTRECOVERY1")

    def test_undecryptable_seed_is_no_error_and_recovery_still_works(
            self, deps: Deps, make_user: Callable[..., User],
            caplog: pytest.LogCaptureFixture) -> None:
        user = make_user()
        secret = enable_mfa_under(deps, user, LOST, ("RECOVERYNEW1",), recovery_key=NEW)
        code = pyotp.TOTP(secret).now()
        with caplog.at_level(logging.ERROR, logger="flask_usercore"):
            refused(deps, fresh(deps, user), code)
        [record] = [r for r in caplog.records if r.name == "flask_usercore"]
        message = record.getMessage()
        assert str(user.id) in message and "USERCORE_SECRET_KEY_FALLBACKS" in message
        stored = deps.session.scalar(select(MfaSecret.secret_encrypted))
        assert stored is not None
        for secret_text in (secret, code, NEW, OLD, LOST, stored):
            assert secret_text not in message
        check_second_factor(deps, fresh(deps, user), "RECOVERYNEW1")


def code_at(secret: str, clock: Clock, steps: int = 0) -> str:
    """The TOTP code ``steps`` time steps away from the clock's time."""
    return pyotp.TOTP(secret).at(clock.now.timestamp() + steps * 30)


class TestTotpWithAClock:
    """TOTP is checked at the services' time (``deps.clock``), which the ``clock`` fixture sets."""

    @pytest.mark.parametrize("steps", [-1, 1])
    def test_one_step_of_drift_either_way_is_accepted(
            self, deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
            clock: Clock, steps: int) -> None:
        user = make_user()
        secret = enable_mfa(user)
        assert check_second_factor(deps, fresh(deps, user),
                                   code_at(secret, clock, steps)) is Factor.TOTP

    @pytest.mark.parametrize("steps", [-2, 2])
    def test_two_steps_of_drift_are_refused(
            self, deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
            clock: Clock, steps: int) -> None:
        user = make_user()
        secret = enable_mfa(user)
        code = code_at(secret, clock, steps)
        if code in {code_at(secret, clock, d) for d in (-1, 0, 1)}:
            pytest.skip("1-in-a-million collision of two steps' codes")
        refused(deps, fresh(deps, user), code)

    def test_the_same_code_again_within_its_window_is_refused(
            self, deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
            clock: Clock) -> None:
        user = make_user()
        secret = enable_mfa(user)
        code = code_at(secret, clock)
        check_second_factor(deps, fresh(deps, user), code)
        commit(deps.session)
        clock.advance(25)  # the code is still inside the +-1 step window
        refused(deps, fresh(deps, user), code)
        clock.advance(30)  # the next step's code works
        check_second_factor(deps, fresh(deps, user), code_at(secret, clock))


@pytest.mark.parametrize("typed", ["K7QM3XWP9TRB4HNC", "k7qm3xwp9trb4hnc",
                                   "K7QM-3XWP-9TRB-4HNC", "k7qm 3xwp 9trb 4hnc"])
def test_a_recovery_code_is_accepted_in_any_case_and_with_separators(
        deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
        typed: str) -> None:
    user = make_user()
    enable_mfa(user, ("K7QM3XWP9TRB4HNC",))
    assert check_second_factor(deps, fresh(deps, user), typed) is Factor.RECOVERY_CODE


class TestAnnouncements:
    CODES = ("AAAAAAAAAAAAAAA2", "BBBBBBBBBBBBBBB3", "CCCCCCCCCCCCCCC4")

    def test_a_used_recovery_code_is_told_with_the_codes_left(
            self, app: Flask, deps: Deps, make_user: Callable[..., User],
            enable_mfa: Callable[..., str], mailbox: Mailbox) -> None:
        user = make_user()
        enable_mfa(user, self.CODES)
        received: list[tuple[object, int]] = []

        def receiver(sender: Flask, **kwargs: object) -> None:
            received.append((getattr(kwargs["user"], "id", None), int(str(kwargs["remaining"]))))

        mailbox.sent.clear()
        with signals.recovery_code_used.connected_to(receiver, sender=app):
            check_second_factor(deps, fresh(deps, user), self.CODES[1])
            assert received == [] and mailbox.sent == []  # only after the commit
            commit(deps.session)
        assert received == [(user.id, 2)]
        [mail] = mailbox.sent
        assert mail.to == user.email
        assert "Recovery codes left: 2." in mail.body
        assert mail.html is not None and "<strong>2</strong>" in mail.html

    def test_nothing_is_told_when_the_operation_fails(
            self, deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
            mailbox: Mailbox) -> None:
        user = make_user()
        enable_mfa(user, self.CODES)
        mailbox.sent.clear()
        check_second_factor(deps, fresh(deps, user), self.CODES[0])
        rollback(deps.session)
        assert mailbox.sent == []
        assert deps.session.scalar(select(RecoveryCode.id).where(
            RecoveryCode.used_at.is_not(None))) is None

    def test_announce_false_tells_nothing(
            self, deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str],
            mailbox: Mailbox) -> None:
        user = make_user()
        enable_mfa(user, self.CODES)
        mailbox.sent.clear()
        check_second_factor(deps, fresh(deps, user), self.CODES[0], announce=False)
        commit(deps.session)
        assert mailbox.sent == []

    def test_a_wrong_code_sends_mfa_failed_at_once(
            self, app: Flask, deps: Deps, make_user: Callable[..., User],
            enable_mfa: Callable[..., str]) -> None:
        user = make_user()
        enable_mfa(user, self.CODES)
        received: list[object] = []
        with signals.mfa_failed.connected_to(
                lambda sender, **kw: received.append(kw["user"].id), sender=app):
            refused(deps, fresh(deps, user), "ZZZZZZZZZZZZZZZZ")
        assert received == [user.id]
        assert deps.lockout.failures(user.email_key) == 1


class TestFirstFactor:
    def test_it_works_once(self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        remember_first_factor(deps, user)
        commit(deps.session)
        assert use_first_factor(deps, fresh(deps, user))
        commit(deps.session)
        assert not use_first_factor(deps, fresh(deps, user))

    def test_it_is_stored_as_a_keyed_hash(self, deps: Deps,
                                          make_user: Callable[..., User]) -> None:
        user = make_user()
        remember_first_factor(deps, user)
        commit(deps.session)
        [row] = deps.session.scalars(select(OneTimeCode)).all()
        assert row.purpose == FIRST_FACTOR_PURPOSE and len(row.code_hash) == 64
        assert row.code_hash == hash_code(deps.config.secret_key, FIRST_FACTOR_PURPOSE,
                                          f"{user.id}\x00{user.password_hash}")

    def test_it_expires_after_the_ttl(self, deps: Deps, make_user: Callable[..., User],
                                      clock: Clock) -> None:
        user = make_user()
        remember_first_factor(deps, user)
        commit(deps.session)
        clock.advance(deps.config.mfa_first_factor_ttl - 1)
        assert use_first_factor(deps, fresh(deps, user))
        rollback(deps.session)
        clock.advance(1)
        assert not use_first_factor(deps, fresh(deps, user))

    def test_a_failed_request_keeps_it(self, deps: Deps,
                                       make_user: Callable[..., User]) -> None:
        user = make_user()
        remember_first_factor(deps, user)
        commit(deps.session)
        assert use_first_factor(deps, fresh(deps, user))
        rollback(deps.session)  # the second factor was wrong
        assert use_first_factor(deps, fresh(deps, user))

    def test_a_password_change_voids_it(self, deps: Deps,
                                        make_user: Callable[..., User]) -> None:
        user = make_user()
        remember_first_factor(deps, user)
        commit(deps.session)
        user = fresh(deps, user)
        user.password_hash = deps.hasher.hash("another password of some length")
        commit(deps.session)
        assert not use_first_factor(deps, fresh(deps, user))

    def test_a_new_one_replaces_the_old_and_other_users_have_their_own(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user, other = make_user(), make_user("bob@example.com")
        remember_first_factor(deps, user)
        remember_first_factor(deps, user)
        commit(deps.session)
        assert len(deps.session.scalars(select(OneTimeCode)).all()) == 1
        assert not use_first_factor(deps, fresh(deps, other))
        assert use_first_factor(deps, fresh(deps, user))


@pytest.mark.parametrize("ttl", [0, -5])
def test_the_first_factor_ttl_must_be_positive(ttl: int) -> None:
    with pytest.raises(ConfigError, match="USERCORE_MFA_FIRST_FACTOR_TTL"):
        load_config({"SECRET_KEY": "a-secret-of-more-than-16-characters",
                     "USERCORE_MFA_FIRST_FACTOR_TTL": ttl})
    assert load_config({"SECRET_KEY": "a-secret-of-more-than-16-characters"}
                       ).mfa_first_factor_ttl == 300
