"""mfa.check_second_factor: TOTP and recovery codes, each usable once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
from sqlalchemy import select

from flask_usercore.errors import SecondFactorRequired, ValidationFailed
from flask_usercore.models import MfaSecret, RecoveryCode, User
from flask_usercore.services.context import Deps
from flask_usercore.services.mfa import check_second_factor


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
