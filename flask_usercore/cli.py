"""``flask usercore ...``: database migrations and account administration."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask.cli import AppGroup

from . import migrations
from .errors import FieldError, ValidationFailed
from .oauth2.cli import COMMANDS as OAUTH2_COMMANDS
from .schemas.base import load
from .schemas.registration import RegisterSchema
from .services.registration import create_user
from .state import usercore_state

#: The fields of the validation errors (a command's field, or a wire path), as the options
#: that carry them.
_OPTIONS = {"email": "--email", "password": "--password", ".email": "--email",
            ".password": "--password", ".person.firstName": "--first-name",
            ".person.lastName": "--last-name"}

usercore_cli = AppGroup("usercore", help="flask-usercore administration.")
for _command in OAUTH2_COMMANDS:
    usercore_cli.add_command(_command)


def _describe(error: FieldError) -> str:
    key = error.field or error.path
    where = _OPTIONS.get(key, key or "input")
    return f"{where}: {error.message} ({error.type})"


@contextmanager
def _as_click_errors() -> Iterator[None]:
    """Turn the library's errors into a message and a non-zero exit."""
    try:
        yield
    except ValidationFailed as exc:
        raise click.ClickException("\n".join(_describe(e) for e in exc.errors)) from None
    except migrations.SchemaConflict as exc:
        raise click.ClickException(str(exc)) from None


@usercore_cli.command("create-user")
@click.option("--email", required=True, help="E-mail address (the login).")
@click.option("--first-name", required=True, help="First name.")
@click.option("--last-name", required=True, help="Last name.")
@click.password_option(help="Password (checked against the password policy).")
@click.option("--verified", is_flag=True,
              help="Mark the e-mail address as verified (else login needs verification).")
def create_user_command(email: str, first_name: str, last_name: str, password: str,
                        verified: bool) -> None:
    """Create an account (no verification mail).

    Prints the new user's id. The input is checked like POST /v2/register: e-mail syntax,
    name lengths, the password policy, e-mail not in use. The password is prompted for when
    --password is not given.
    """
    body: dict[str, Any] = {"email": email, "password": password,
                            "person": {"firstName": first_name, "lastName": last_name}}
    with _as_click_errors():
        command = load(RegisterSchema(), body)
        deps = usercore_state().deps
        user = create_user(deps, command, verified_at=deps.clock() if verified else None)
        deps.uow.commit()
    click.echo(str(user.id))


@usercore_cli.group("db")
def db_cli() -> None:
    """Migrate the usercore tables.

    flask-usercore keeps its own migration history, in the table usercore_alembic_version,
    apart from the host's Alembic.
    """


def _report() -> None:
    revision = migrations.current()
    if revision is None:
        click.echo("base")
    else:
        click.echo(f"{revision} (head)" if revision == migrations.head() else revision)


def _migration_command(run: Callable[[], None]) -> None:
    from alembic.util import CommandError  # Alembic only when a migration command runs

    with _as_click_errors():
        try:
            run()
        except CommandError as exc:
            raise click.ClickException(str(exc)) from None
    _report()


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade to REVISION (default: head).

    Creates the tables on an empty database; running it again is a no-op. Prints the
    revision reached.
    """
    _migration_command(lambda: migrations.upgrade(revision))


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade to REVISION.

    REVISION is a revision id, a relative step such as -1, or base, which drops every usercore
    table and with it every account. Prints the revision reached.
    """
    _migration_command(lambda: migrations.downgrade(revision))


@db_cli.command("current")
def db_current() -> None:
    """Print the current revision.

    Prints "base" when the usercore tables do not exist yet, and marks the newest
    revision with "(head)".
    """
    _report()


@usercore_cli.command("create-retrieval-key")
@click.argument("user_id", type=click.UUID)
def create_retrieval_key_command(user_id: uuid.UUID) -> None:
    """Make an access-token retrieval key for USER_ID and print only the key.

    The key is single-use and expires after USERCORE_RETRIEVAL_KEY_TTL seconds (60); it is
    exchanged for a session with POST /v2/authenticate-token-retrieval-key.
    """
    from .errors import NotFound
    from .services.retrieval_keys import create_retrieval_key

    deps = usercore_state().deps
    try:
        key = create_retrieval_key(deps, user_id)
    except NotFound as exc:
        raise click.ClickException(exc.message) from None
    deps.uow.commit()
    click.echo(key)


@usercore_cli.command("purge-expired")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Rows deleted per statement and commit.")
def purge_expired_command(batch: int) -> None:
    """Delete expired credentials and expired or used one-time codes, in batches.

    Safe to run on several hosts at once (PostgreSQL skips rows another run holds). Prints
    how many rows of each were deleted.
    """
    totals = _purge_rows(batch)
    click.echo(f"deleted {totals['credentials']} credentials, {totals['codes']} "
               f"one-time codes and {totals['oauth2_codes']} OAuth2 authorization codes")


@usercore_cli.command("mfa-reset")
@click.argument("user")
def mfa_reset_command(user: str) -> None:
    """Turn MFA off for USER (an e-mail address or a user id) who lost the device.

    Deletes the TOTP secret and the recovery codes, ends every session of the account and
    mails the user. Check who is asking first (docs/mfa.md, "Support desk").
    """
    from .models import User
    from .services.mfa_setup import reset_mfa
    from .services.users import find_by_email

    deps = usercore_state().deps
    try:
        found = deps.session.get(User, uuid.UUID(user))
    except ValueError:
        found = find_by_email(deps, user)
    if found is None:
        raise click.ClickException(f"no user {user}")
    try:
        reset_mfa(deps, found)
    except ValidationFailed:
        deps.uow.rollback()
        raise click.ClickException(f"{found.email} has no MFA set up: nothing changed") from None
    deps.uow.commit()
    click.echo(f"MFA turned off for {found.email}; their sessions were ended and a mail was sent")


@usercore_cli.command("check-support-code")
@click.argument("code")
def check_support_code_command(code: str) -> None:
    """Tell whose live support code CODE is: prints the user id and e-mail address.

    A caller reads the 6 digits from GET /v2/users/self/credentials/support-code. Exits
    with an error when the code is unknown or expired.
    """
    from .services.support_code import find_support_code

    owners = find_support_code(usercore_state().deps, code)
    if not owners:
        raise click.ClickException("unknown or expired support code")
    for owner in owners:
        click.echo(f"{owner.user_id} {owner.email} (valid until "
                   f"{owner.expires_at.strftime('%Y-%m-%dT%H:%M:%SZ')})")


def _purge_rows(batch: int) -> dict[str, int]:
    """Delete expired rows in batches until none is left; the totals."""
    from .services.purge import purge_batch

    deps = usercore_state().deps
    totals: dict[str, int] = {}
    while True:
        counts = purge_batch(deps, batch=batch)
        deps.uow.commit()
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
        if max(counts.values()) < batch:
            return totals


@usercore_cli.command("deliver")
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

    from .services.outbox import DeliveryReport, deliver_due

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


@usercore_cli.command("purge")
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
    from .services.outbox import drop_expired
    from .services.purge import purge_files

    totals = _purge_rows(batch)
    deps = usercore_state().deps
    dropped = drop_expired(deps)
    files = purge_files(deps, older_than=files_older_than)
    deps.uow.rollback()  # purge_files only read
    click.echo(f"deleted {totals['credentials']} credentials, {totals['codes']} one-time "
               f"codes, {totals['oauth2_codes']} OAuth2 authorization codes, {dropped} "
               "expired outbox messages and "
               + (f"{files} orphaned files" if files is not None
                  else "no files (the avatar storage cannot list its files)"))


@usercore_cli.command("rq-worker")
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
