"""Racing uses of one second factor on a real PostgreSQL server: exactly one wins.

Each racer runs in its own thread with its own app context (so its own session and
connection); a barrier releases them together.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from flask_usercore.errors import ValidationFailed
from flask_usercore.models import User
from flask_usercore.services.context import commit, rollback
from flask_usercore.services.mfa import check_second_factor
from tests.api.mfa_flow import MFA, TotpClock, enable, first_factor
from tests.api.mfa_flow import totp_clock as totp_clock  # the fixture
from tests.conftest import PASSWORD

RACERS = 20


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """One pooled connection per racer; no lockout, so every loser answers 400, not 429."""
    return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0},
                     "USERCORE_LOCKOUT_THRESHOLD": 0})


def race(run: Callable[[], Any]) -> list[Any]:
    """Call ``run`` in RACERS threads at once; its results (or exceptions) in a list."""
    barrier = threading.Barrier(RACERS, timeout=30)
    results: list[Any] = [None] * RACERS

    def racer(index: int) -> None:
        try:
            barrier.wait()
            results[index] = run()
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def test_one_recovery_code_used_by_20_checks_at_once_succeeds_once(
        app: Flask, user: dict[str, Any], totp_clock: TotpClock) -> None:
    _, codes = enable(app.test_client(), user["headers"], totp_clock)
    deps = app.extensions["usercore"].deps

    def check() -> str:
        with app.app_context():
            loaded = deps.session.get(User, uuid.UUID(user["userId"]))
            try:
                check_second_factor(deps, loaded, codes[0], announce=False)
            except ValidationFailed as exc:
                rollback(deps.session)
                return exc.errors[0].type
            commit(deps.session)
            return "used"

    assert Counter(race(check)) == {"used": 1, "MfaCodeNotValid": RACERS - 1}


def test_one_recovery_code_sent_20_times_at_once_regenerates_once(
        app: Flask, user: dict[str, Any], totp_clock: TotpClock) -> None:
    _, codes = enable(app.test_client(), user["headers"], totp_clock)

    def regenerate() -> int:
        return app.test_client().put(MFA, headers=user["headers"],
                                     json={"multiFactorCode": codes[0]}).status_code

    assert Counter(race(regenerate)) == {200: 1, 400: RACERS - 1}


def test_one_first_factor_completes_one_login(app: Flask, user: dict[str, Any],
                                              totp_clock: TotpClock) -> None:
    _, codes = enable(app.test_client(), user["headers"], totp_clock)
    first_factor(app.test_client())
    bodies = iter(codes)  # a different valid recovery code each
    lock = threading.Lock()

    def login() -> int:
        with lock:
            code = next(bodies)
        return app.test_client().post("/v2/authenticate-mfa", json={
            "email": user["email"], "password": PASSWORD,
            "multiFactorCode": code}).status_code

    assert Counter(race(login)) == {200: 1, 408: RACERS - 1}
