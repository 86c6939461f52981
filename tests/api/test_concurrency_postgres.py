"""Racing registrations on a real PostgreSQL server: the unique indexes decide, never a 500.

Every request runs in its own thread with its own test client; Flask-SQLAlchemy scopes the
session per app context, so each request has its own session and connection. A barrier makes
the threads send at the same moment, so several of them pass the "is it taken?" SELECT
before any INSERT commits and the clash surfaces as an IntegrityError of a unique index.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from flask_usercore.models import OneTimeCode, User
from tests.conftest import PASSWORD, Mailbox

RACERS = 30


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture
def race_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose pool holds one connection per racer, so none waits for a connection."""
    return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0}})


def case_variants(word: str, count: int) -> list[str]:
    """``count`` distinct spellings of ``word`` that differ only in case, the usual ones first."""
    usual = [word.capitalize(), word.upper(), word.lower()]
    pairs = [(c.lower(), c.upper()) for c in word]
    others = ["".join(letters) for letters in itertools.product(*pairs)]
    variants = list(dict.fromkeys(usual + others))
    assert len(variants) >= count, "the word has too few letters for that many variants"
    return variants[:count]


def race(app: Flask, bodies: list[dict[str, Any]],
         path: str = "/v2/register") -> list[tuple[int, Any]]:
    """POST every body to ``path`` at once; returns (status, json) per body, in order."""
    barrier = threading.Barrier(len(bodies), timeout=30)
    results: list[tuple[int, Any] | BaseException | None] = [None] * len(bodies)

    def run(index: int, body: dict[str, Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            response = client.post(path, json=body)
            results[index] = (response.status_code, response.get_json())
        except BaseException as exc:  # reported by the main thread, not swallowed
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    failures = [r for r in results if not isinstance(r, tuple)]
    assert not failures, failures
    return [r for r in results if isinstance(r, tuple)]


def body(email: str, nickname: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"email": email, "password": PASSWORD,
                            "person": {"firstName": "Grace", "lastName": "Hopper"}}
    if nickname is not None:
        data["nickname"] = nickname
    return data


def assert_one_winner(results: list[tuple[int, Any]], path: str, kind: str) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 400: RACERS - 1}, (statuses, results)
    for status, payload in results:
        if status == 400:
            assert payload["type"] == "ValidationError", payload
            assert [(e["path"], e["type"]) for e in payload["validationErrors"]] == [(path, kind)]


def count_users(app: Flask, where: Any) -> int:
    with app.app_context():
        db: SQLAlchemy = app.extensions["sqlalchemy"]
        return int(db.session.scalar(select(func.count()).select_from(User).where(where)) or 0)


def test_same_nickname_in_any_case_registers_once(race_app: Flask) -> None:
    nicknames = case_variants("grace", RACERS)
    assert "Grace" in nicknames and "GRACE" in nicknames and "grace" in nicknames
    results = race(race_app, [body(f"grace{i}@example.com", nick)
                              for i, nick in enumerate(nicknames)])

    assert_one_winner(results, ".nickname", "NicknameInUse")
    assert count_users(race_app, func.lower(User.nickname) == "grace") == 1
    assert count_users(race_app, User.id.is_not(None)) == 1


def test_same_email_in_any_case_registers_once(race_app: Flask) -> None:
    emails = [f"{local}@example.com" for local in case_variants("grace", RACERS)]
    results = race(race_app, [body(email) for email in emails])

    assert_one_winner(results, ".email", "EmailInUse")
    assert count_users(race_app, func.lower(User.email) == "grace@example.com") == 1
    assert count_users(race_app, User.id.is_not(None)) == 1


def test_parallel_wrong_guesses_stop_at_the_limit(race_app: Flask, mailbox: Mailbox) -> None:
    """30 wrong guesses at once: each is counted, durably, before it is compared (one
    conditional UPDATE on ``attempts < max`` committed on its own), so the counter reaches
    the limit and stops there, however the requests interleave; the code is then burnt."""
    client = race_app.test_client()
    user_id = client.post("/v2/register", json=body("grace@example.com")).json["userId"]
    code = mailbox.last_code("grace@example.com")
    wrong = [f"{(int(code) + n) % 10**8:08d}" for n in range(1, RACERS + 1)]
    results = race(race_app, [{"email": "grace@example.com", "userId": user_id, "token": guess}
                              for guess in wrong], path="/v2/verify-registration")

    assert Counter(status for status, _ in results) == {400: RACERS}
    assert {payload["validationErrors"][0]["type"] for _, payload in results} == \
        {"WrongVerificationToken"}
    with race_app.app_context():
        db: SQLAlchemy = race_app.extensions["sqlalchemy"]
        attempts = db.session.scalar(select(OneTimeCode.attempts))
    assert attempts == race_app.extensions["usercore"].config.code_max_attempts
    right = client.post("/v2/verify-registration",
                        json={"email": "grace@example.com", "userId": user_id, "token": code})
    assert right.status_code == 400  # no guess left, not even the right one
