"""Mail and SMS delivery through an RQ queue on Redis (``pip install flask-usercore[rq]``).

Pass the queue to the extension; each committed outbox message then becomes a job that an
RQ worker runs::

    from redis import Redis
    from rq import Queue
    from flask_usercore.rq_delivery import RqDeliveryQueue

    queue = Queue("usercore-delivery", connection=Redis.from_url("redis://localhost:6379/0"))
    usercore = UserCore(db=db, delivery_queue=RqDeliveryQueue(queue))

The job (:func:`deliver_job`) needs the app: run the worker inside an app context, e.g. with
``flask usercore rq-worker`` or a script that pushes one and starts ``rq.SimpleWorker``. The
job claims its row like every delivery (``services/outbox.py``): a job run twice, or racing
``flask usercore deliver``, sends the message once. A message whose job failed, or that
never reached Redis, is sent by ``flask usercore deliver`` (keep it in cron as the safety
net) once its retry delay has passed.
"""

from __future__ import annotations

import uuid
from typing import Any

from .services.outbox import deliver_message
from .state import usercore_state

#: The job function, as RQ stores it.
JOB = "flask_usercore.rq_delivery.deliver_job"


class RqDeliveryQueue:
    """A :class:`~flask_usercore.hooks.DeliveryQueue` that enqueues one RQ job per message.

    ``queue`` is an ``rq.Queue``; ``job_options`` go to ``Queue.enqueue`` (``job_timeout``,
    ``result_ttl``, ``retry=rq.Retry(...)``...). The job id is derived from the message id,
    so the same message is never queued twice at once.
    """

    def __init__(self, queue: Any, **job_options: Any) -> None:
        self.queue = queue
        self.job_options = {"result_ttl": 0, "failure_ttl": 24 * 3600, **job_options}

    def enqueue(self, message_id: uuid.UUID) -> None:
        """Queue the delivery of the outbox row ``message_id``."""
        self.queue.enqueue(JOB, str(message_id), job_id=f"usercore-outbox-{message_id}",
                           **self.job_options)


def deliver_job(message_id: str) -> str:
    """The RQ job: send the outbox row ``message_id`` with the current app (the worker's
    app context). Returns ``sent``, ``failed`` (retried by ``flask usercore deliver`` after
    the delay) or ``nothing`` (sent already, claimed elsewhere, or expired)."""
    outcome = deliver_message(usercore_state().deps, uuid.UUID(message_id))
    return {True: "sent", False: "failed", None: "nothing"}[outcome]
