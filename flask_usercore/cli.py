"""``flask usercore ...``: database migrations and account administration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from alembic.util import CommandError
from flask.cli import AppGroup

from . import migrations
from .errors import FieldError, ValidationFailed
from .models import utcnow
from .schemas.base import load
from .schemas.registration import RegisterSchema
from .services.context import commit
from .services.registration import create_user
from .state import usercore_state

#: Wire paths of the validation errors, as the options that carry them.
_OPTIONS = {".email": "--email", ".password": "--password",
            ".person.firstName": "--first-name", ".person.lastName": "--last-name"}

usercore_cli = AppGroup("usercore", help="flask-usercore administration.")


def _describe(error: FieldError) -> str:
    where = _OPTIONS.get(error.path, error.path or "input")
    return f"{where}: {error.message} ({error.type})"


@contextmanager
def _as_click_errors() -> Iterator[None]:
    """Turn the library's and Alembic's errors into a message and a non-zero exit."""
    try:
        yield
    except ValidationFailed as exc:
        raise click.ClickException("\n".join(_describe(e) for e in exc.errors)) from None
    except (CommandError, migrations.SchemaConflict) as exc:
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
        data = load(RegisterSchema(), body)
        deps = usercore_state().deps
        user = create_user(deps, email=data["email"], password=data["password"],
                           person=data["person"], verified_at=utcnow() if verified else None)
        commit(deps.session)
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
    with _as_click_errors():
        run()
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
