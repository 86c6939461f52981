"""lockout.Lockout and how login and the second factor use it (per account, in the storage)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyotp
import pytest
from limits.storage import MemoryStorage

from flask_usercore.config import UserCoreConfig, load_config
from flask_usercore.errors import RateLimited, ValidationFailed, WrongCredentials
from flask_usercore.models import User
from flask_usercore.runtime.lockout import Lockout
from flask_usercore.services.authentication import authenticate
from flask_usercore.services.context import ClientInfo, Deps, commit, rollback
from flask_usercore.services.mfa import check_second_factor
from tests.services.conftest import SERVICE_PASSWORD

SECRET = "a-secret-of-more-than-16-characters"


def make_lockout(**config: int) -> Lockout:
    return Lockout(MemoryStorage(), load_config({"SECRET_KEY": SECRET, **{
        f"USERCORE_LOCKOUT_{name.upper()}": value for name, value in config.items()}}))


def test_lock_lengths_double_up_to_the_maximum() -> None:
    locks = make_lockout(threshold=3, seconds=10, max_seconds=75)
    assert [locks.lock_seconds(n) for n in range(1, 9)] == [0, 0, 10, 20, 40, 75, 75, 75]
    assert locks.lock_seconds(10**6) == 75  # no overflow, no huge shift
    assert make_lockout(threshold=0).lock_seconds(100) == 0


def test_threshold_then_locked_with_retry_after() -> None:
    locks = make_lockout(threshold=2, seconds=30)
    locks.attempt("ada@example.com")  # a wrong secret keeps its slot: a failure
    locks.attempt("ada@example.com")  # the one that locks: the lock is set before its compare
    with pytest.raises(RateLimited) as exc:
        locks.attempt("ada@example.com")
    assert exc.value.status == 429
    assert 29 <= int(exc.value.headers()["Retry-After"]) <= 30
    assert locks.failures("ada@example.com") == 2  # the refused attempt is not counted
    locks.attempt("grace@example.com")  # another account
    locks.succeeded("ada@example.com")
    locks.attempt("ada@example.com")
    assert locks.failures("ada@example.com") == 1


def test_a_right_secret_gives_its_slot_and_its_lock_back() -> None:
    locks = make_lockout(threshold=2, seconds=30)
    locks.attempt("ada@example.com")
    locks.passed(locks.attempt("ada@example.com"))  # the locking attempt was right
    assert locks.failures("ada@example.com") == 1
    locks.attempt("ada@example.com")  # not locked: this one may still be compared
    with pytest.raises(RateLimited):
        locks.attempt("ada@example.com")


def test_disabled_counts_nothing() -> None:
    storage = MemoryStorage()
    locks = Lockout(storage, UserCoreConfig(secret_key=SECRET, lockout_threshold=0))
    for _ in range(10):
        locks.passed(locks.attempt("ada@example.com"))
        locks.attempt("ada@example.com")
    assert not locks.enabled
    assert dict(storage.storage) == {}


def test_storage_keys_do_not_hold_the_address() -> None:
    storage = MemoryStorage()
    locks = Lockout(storage, UserCoreConfig(secret_key=SECRET, lockout_threshold=1))
    locks.attempt("ada@example.com")
    assert len(storage.storage) == 2
    assert not any("ada" in key for key in storage.storage)


def test_parallel_attempts_get_no_more_slots_than_the_threshold() -> None:
    locks = make_lockout(threshold=5, seconds=30)
    barrier = threading.Barrier(30)
    taken: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        try:
            locks.attempt("ada@example.com")
            taken.append(True)
        except RateLimited:
            taken.append(False)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(True) == 5
    assert locks.failures("ada@example.com") == 5


def test_ten_wrong_codes_after_the_right_password_leave_no_free_guesses(
        deps: Deps, make_user: Callable[..., User], enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    secret = enable_mfa(user)
    wrong = next(c for c in ("000000", "111111", "222222")
                 if not pyotp.TOTP(secret).verify(c, valid_window=1))
    outcomes = []
    for _ in range(10):
        try:
            authenticate(deps, user.email, SERVICE_PASSWORD, ClientInfo(), wrong)
        except (ValidationFailed, RateLimited) as exc:
            outcomes.append(exc.status)
        rollback(deps.session)  # as the operation does: the count survives it
    assert outcomes == [400] * 5 + [429] * 5
    assert deps.lockout.failures(user.email_key) == 5  # refused guesses are not counted
    with pytest.raises(RateLimited):
        authenticate(deps, user.email, SERVICE_PASSWORD, ClientInfo(),
                     pyotp.TOTP(secret).at(time.time()))


def test_check_second_factor_counts_and_refuses(deps: Deps, make_user: Callable[..., User],
                                                enable_mfa: Callable[..., str]) -> None:
    user = make_user()
    enable_mfa(user, ("RECOVERY-22",))
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            check_second_factor(deps, user, "NOT-A-CODE")
    with pytest.raises(RateLimited):
        check_second_factor(deps, user, "RECOVERY-22")  # refused before it is compared


def test_a_completed_login_forgets_the_failures_after_the_commit(
        deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    for _ in range(3):
        with pytest.raises(WrongCredentials):
            authenticate(deps, user.email, "wrong password 1234", ClientInfo())
        rollback(deps.session)
    authenticate(deps, user.email, SERVICE_PASSWORD, ClientInfo())
    assert deps.lockout.failures(user.email_key) == 3  # not before the commit
    commit(deps.session)
    assert deps.lockout.failures(user.email_key) == 0


def test_a_rolled_back_login_forgets_nothing(deps: Deps, make_user: Callable[..., User]) -> None:
    user = make_user()
    with pytest.raises(WrongCredentials):
        authenticate(deps, user.email, "wrong password 1234", ClientInfo())
    authenticate(deps, user.email, SERVICE_PASSWORD, ClientInfo())
    rollback(deps.session)
    assert deps.lockout.failures(user.email_key) == 1


def test_unknown_address_is_counted_under_its_key(deps: Deps) -> None:
    with pytest.raises(WrongCredentials):
        authenticate(deps, " Nobody@Example.COM", "wrong password 1234", ClientInfo())
    assert deps.lockout.failures("nobody@example.com") == 1
