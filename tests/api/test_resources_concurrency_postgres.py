"""Racing writes to the user's resources on a real PostgreSQL server: never a 500.

Each request runs in its own thread with its own test client (its own session and
connection); a barrier makes them send at the same moment.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask

from tests.api.resource_helpers import signed_in
from tests.conftest import Mailbox

RACERS = 12


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set USERCORE_TEST_DATABASE_URL, see .ci/run)")


@pytest.fixture
def race_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS, "max_overflow": 0}})


def race(app: Flask, method: str, path: str, bodies: list[dict[str, Any]],
         headers: dict[str, str]) -> list[int]:
    """Send every body at once; the statuses, in order."""
    barrier = threading.Barrier(len(bodies), timeout=30)
    results: list[int | BaseException | None] = [None] * len(bodies)

    def run(index: int, body: dict[str, Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            results[index] = client.open(path, method=method, json=body,
                                         headers=headers).status_code
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, int) for r in results), results
    return [r for r in results if isinstance(r, int)]


def test_the_same_ssh_key_at_once_is_stored_once(race_app: Flask, mailbox: Mailbox) -> None:
    headers = signed_in(race_app.test_client(), mailbox)
    line = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    statuses = race(race_app, "POST", "/v2/users/self/ssh-keys",
                    [{"publicKey": line}] * RACERS, headers)
    assert Counter(statuses) == {201: 1, 409: RACERS - 1}


def test_parallel_settings_writes_all_succeed_and_one_wins(race_app: Flask,
                                                          mailbox: Mailbox) -> None:
    headers = signed_in(race_app.test_client(), mailbox)
    documents = [base64.b64encode(f"doc {i}".encode()).decode() for i in range(RACERS)]
    statuses = race(race_app, "PUT", "/v2/users/self/settings",
                    [{"settingsString": d} for d in documents], headers)
    assert statuses == [204] * RACERS
    stored = race_app.test_client().get("/v2/users/self/settings", headers=headers).json
    assert stored["settingsString"] in documents


def test_parallel_first_poll_answers_never_fail_with_500(race_app: Flask,
                                                        mailbox: Mailbox) -> None:
    client = race_app.test_client()
    headers = signed_in(client, mailbox)
    me = client.get("/v2/users/self", headers=headers).json["userId"]
    statuses = race(race_app, "POST", "/v2/poll-settings/self",
                    [{"status": "completed", "userId": me}] * RACERS, headers)
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    assert client.get("/v2/poll-settings/self", headers=headers).json["status"] == "completed"
