"""Delivery handed to a real job queue: RQ on the Redis of ``.ci/run``, run by a real
``rq.SimpleWorker`` in burst mode (and by ``flask usercore rq-worker --burst``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from flask import Flask

from flask_usercore.models import utcnow
from flask_usercore.rq_delivery import JOB, RqDeliveryQueue
from tests.api.test_outbox import REGISTRATION, deliver, rows
from tests.conftest import Mailbox
from tests.redis_support import redis_url_fixture  # noqa: F401 (a fixture)

QUEUE = "usercore-delivery"


def test_a_worker_sends_the_queued_mail_once(make_app: Callable[..., Flask], mailbox: Mailbox,
                                             redis_url: str) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(redis_url)
    queue = Queue(QUEUE, connection=connection)
    app = make_app(delivery_queue=RqDeliveryQueue(queue))
    assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    assert mailbox.sent == [] and queue.count == 1  # queued, not sent by the request
    [row] = rows(app)
    assert queue.job_ids == [f"usercore-outbox-{row.id}"]
    with app.app_context():
        assert SimpleWorker([queue], connection=connection).work(burst=True)
    assert [m.to for m in mailbox.sent] == ["ada@example.com"] and rows(app) == []

    again = queue.enqueue(JOB, str(row.id))  # the same message twice: nothing more is sent
    with app.app_context():
        SimpleWorker([queue], connection=connection).work(burst=True)
    again.refresh()
    assert again.return_value() == "nothing" and len(mailbox.sent) == 1
    connection.close()


def test_the_rq_worker_command_runs_the_jobs(make_app: Callable[..., Flask], mailbox: Mailbox,
                                             redis_url: str) -> None:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    app = make_app(delivery_queue=RqDeliveryQueue(Queue(QUEUE, connection=connection)))
    assert app.test_client().post("/v2/register", json=REGISTRATION).status_code == 201
    assert mailbox.sent == []
    result = app.test_cli_runner().invoke(args=["usercore", "rq-worker", "--url", redis_url,
                                                "--burst"])
    assert result.exit_code == 0, result.output
    assert [m.to for m in mailbox.sent] == ["ada@example.com"] and rows(app) == []
    connection.close()


def test_a_queue_that_cannot_be_reached_leaves_the_mail_to_deliver(
        make_app: Callable[..., Flask], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from redis import Redis
    from rq import Queue

    dead = Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5)  # nothing listens
    app = make_app(delivery_queue=RqDeliveryQueue(Queue(QUEUE, connection=dead)))
    with caplog.at_level(logging.WARNING, logger="flask_usercore"):
        response = app.test_client().post("/v2/register", json=REGISTRATION)
    assert response.status_code == 201  # the registration stands
    assert "could not be queued (ConnectionError)" in caplog.text
    assert mailbox.sent == [] and len(rows(app)) == 1
    assert "sent 1, failed 0" in deliver(app)  # cron's `flask usercore deliver` sends it
    assert [m.to for m in mailbox.sent] == ["ada@example.com"]
    later = utcnow() + dt.timedelta(hours=1)
    monkeypatch.setattr(app.extensions["usercore"].deps.clock, "source", lambda: later)
    assert "sent 0, failed 0" in deliver(app)
