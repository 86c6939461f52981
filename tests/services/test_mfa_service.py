"""mfa.check_second_factor: TOTP and recovery codes, each usable once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from flask_usercore.errors import SecondFactorRequired, ValidationFailed
from flask_usercore.models import MfaSecret, RecoveryCode, User, utcnow
from flask_usercore.security import totp
from flask_usercore.security.codes import hash_code
from flask_usercore.security.crypto import SecretBox
from flask_usercore.services.context import Deps
from flask_usercore.services.mfa import RECOVERY_PURPOSE, check_second_factor


def refused(deps: Deps, user: User, code: str | None, path: str = ".multiFactorCode") -> None:
    with pytest.raises(ValidationFailed) as exc:
        check_second_factor(deps, user, code, path=path)
    assert [(e.path, e.type) for e in exc.value.errors] == [(path, "MfaCodeNotValid")]
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


def test_wrong_totp_code_refused_with_a_custom_path(deps: Deps, make_user: Callable[..., User],
                                                    enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    now = time.time()
    valid = {pyotp.TOTP(secret).at(now + d * 30) for d in (-2, -1, 0, 1, 2)}
    code = next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in valid)
    refused(deps, fresh(deps, user), code, path=".code")


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
        enable_mfa_under(deps, user, OLD, ("OLD-RECOVERY-1",))
        deps.session.add(RecoveryCode(user_id=user.id, code_hash=hash_code(
            NEW, RECOVERY_PURPOSE, "NEW-RECOVERY-1")))
        deps.session.commit()
        for code in ("OLD-RECOVERY-1", "NEW-RECOVERY-1"):
            check_second_factor(deps, fresh(deps, user), code)
            deps.session.commit()
            refused(deps, fresh(deps, user), code)

    def test_recovery_code_of_an_unknown_key_is_refused(
            self, deps: Deps, make_user: Callable[..., User]) -> None:
        user = make_user()
        enable_mfa_under(deps, user, OLD, ("LOST-RECOVERY-1",), recovery_key=LOST)
        refused(deps, fresh(deps, user), "LOST-RECOVERY-1")

    def test_undecryptable_seed_is_no_error_and_recovery_still_works(
            self, deps: Deps, make_user: Callable[..., User],
            caplog: pytest.LogCaptureFixture) -> None:
        user = make_user()
        secret = enable_mfa_under(deps, user, LOST, ("RECOVERY-NEW-1",), recovery_key=NEW)
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
        check_second_factor(deps, fresh(deps, user), "RECOVERY-NEW-1")
