"""``flask usercore deliver``, ``purge`` and ``rq-worker``: the outbox's delivery and the
clean-up of what operations leave behind (docs/deployment.md)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..state import usercore_state


def purge_rows(batch: int) -> dict[str, int]:
    """Delete expired rows in batches until none is left; the totals."""
    from ..services.purge import purge_batch

    deps = usercore_state().deps
    totals: dict[str, int] = {}
    while True:
        counts = purge_batch(deps, batch=batch)
        deps.uow.commit()
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
        if max(counts.values()) < batch:
            return totals


@click.command("deliver")
@with_appcontext
@click.option("--loop", is_flag=True, help="Keep running: deliver, wait --interval, again.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between two rounds of --loop.")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(min=1),
              help="Messages claimed per transaction.")
def deliver_command(loop: bool, interval: float, batch: int) -> None:
    """Send the mail and SMS of the outbox that are due: those whose send failed (after
    their retry delay), or whose process died before it sent them.

    Run it from cron (every minute) or with --loop as a service, which SIGTERM stops after
    the round in progress. Safe to run on several hosts at once: each message is claimed by
    one of them. Drops messages older than USERCORE_DELIVERY_TTL. Prints what it did (with
    --loop: each round that did something); exits with 1 when a send failed.
    """
    import signal
    import threading

    from ..services.outbox import DeliveryReport, deliver_due

    deps = usercore_state().deps
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if loop else None
    try:
        while True:
            report = DeliveryReport()
            while True:
                step = deliver_due(deps, batch=batch)
                report.add(step)
                if step.sent + step.failed < batch:
                    break
            if not loop or report.sent or report.failed or report.expired:
                click.echo(f"sent {report.sent}, failed {report.failed} (retried later), "
                           f"dropped {report.expired} expired")
            if not loop:
                if report.failed:
                    sys.exit(1)
                return
            if stop.wait(interval):
                return
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@click.command("purge")
@with_appcontext
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Rows deleted per statement and commit.")
@click.option("--files-older-than", default=3600, show_default=True,
              type=click.IntRange(min=0),
              help="Seconds a stored file nobody references must be old to be deleted "
                   "(younger ones may be uploads in flight).")
def purge_command(batch: int, files_older_than: int) -> None:
    """Delete what is left over: expired credentials and codes (as purge-expired), expired
    outbox messages, and avatar files no row references (an upload whose commit never
    came) or half-written (.part files of a write a crash cut short)."""
    from ..services.outbox import drop_expired
    from ..services.purge import purge_files

    totals = purge_rows(batch)
    deps = usercore_state().deps
    dropped = drop_expired(deps)
    files = purge_files(deps, older_than=files_older_than)
    deps.uow.rollback()  # purge_files only read
    click.echo(f"deleted {totals['credentials']} credentials, {totals['codes']} one-time "
               f"codes, {totals['oauth2_codes']} OAuth2 authorization codes, "
               f"{totals['passkey_challenges']} passkey challenges, {dropped} "
               "expired outbox messages and "
               + (f"{files} orphaned files" if files is not None
                  else "no files (the avatar storage cannot list its files)"))


@click.command("rq-worker")
@with_appcontext
@click.option("--url", required=True, help="Redis URL of the queue (redis://host:6379/0).")
@click.option("--queue", "queue_name", default="usercore-delivery", show_default=True,
              help="Name of the RQ queue.")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def rq_worker_command(url: str, queue_name: str, burst: bool) -> None:
    """Run an RQ worker (rq.SimpleWorker: jobs run in this process, in this app's context)
    for the delivery jobs of flask_usercore.rq_delivery.RqDeliveryQueue. Needs the rq
    extra: pip install flask-usercore[rq]."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(url)
    SimpleWorker([Queue(queue_name, connection=connection)],
                 connection=connection).work(burst=burst)


COMMANDS = (deliver_command, purge_command, rq_worker_command)
