"""``flask usercore ...``: database migrations and account administration (the ``roles``
and ``users`` groups: :mod:`.accounts`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask.cli import AppGroup

from .. import migrations
from ..errors import FieldError, UserCoreError, ValidationFailed
from ..oauth2.cli import COMMANDS as OAUTH2_COMMANDS
from ..schemas.base import load
from ..schemas.registration import RegisterSchema
from ..services.registration import create_user
from ..state import usercore_state
from .accounts import GROUPS as ACCOUNT_GROUPS
from .upkeep import COMMANDS as UPKEEP_COMMANDS
from .upkeep import purge_rows

#: The fields of the validation errors (a command's field, or a wire path), as the options
#: that carry them.
_OPTIONS = {"email": "--email", "password": "--password", ".email": "--email",
            ".password": "--password", ".person.firstName": "--first-name",
            ".person.lastName": "--last-name"}

usercore_cli = AppGroup("usercore", help="flask-usercore administration.")
for _command in (*OAUTH2_COMMANDS, *ACCOUNT_GROUPS, *UPKEEP_COMMANDS):
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
    from ..services.retrieval_keys import create_retrieval_key

    deps = usercore_state().deps
    try:
        key = create_retrieval_key(deps, user_id)
    except UserCoreError as exc:
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
    totals = purge_rows(batch)
    click.echo(f"deleted {totals['credentials']} credentials, {totals['codes']} "
               f"one-time codes, {totals['oauth2_codes']} OAuth2 authorization codes and "
               f"{totals['passkey_challenges']} passkey challenges")


@usercore_cli.command("mfa-reset")
@click.argument("user")
def mfa_reset_command(user: str) -> None:
    """Turn MFA off for USER (an e-mail address or a user id) who lost the device.

    Deletes the TOTP secret and the recovery codes, ends every session of the account and
    mails the user. Check who is asking first (docs/mfa.md, "Support desk").
    """
    from ..models import User
    from ..services.mfa_setup import reset_mfa
    from ..services.users import find_by_email

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
    from ..services.support_code import find_support_code

    owners = find_support_code(usercore_state().deps, code)
    if not owners:
        raise click.ClickException("unknown or expired support code")
    for owner in owners:
        click.echo(f"{owner.user_id} {owner.email} (valid until "
                   f"{owner.expires_at.strftime('%Y-%m-%dT%H:%M:%SZ')})")
