"""``flask usercore roles ...`` and ``flask usercore users ...``: roles, and the accounts as
the admin API sees them (docs/roles.md, docs/admin.md).

Every change is recorded in the admin audit with the actor ``cli`` and announced by
:data:`~flask_usercore.signals.admin_action`, like the admin API's. A USER is an e-mail
address or a user id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import AppGroup

from ..commands.admin import UserSearch
from ..errors import UserCoreError, ValidationFailed
from ..models import User
from ..services import admin, roles
from ..services.admin import CLI
from ..services.context import Deps
from ..state import usercore_state


@contextmanager
def _work() -> Iterator[Deps]:
    """The services' collaborators; commits at the end, rolls back on an error (which
    becomes a message and a non-zero exit)."""
    deps = usercore_state().deps
    try:
        yield deps
    except ValidationFailed as exc:
        deps.uow.rollback()
        raise click.ClickException("; ".join(e.message for e in exc.errors)) from None
    except UserCoreError as exc:
        deps.uow.rollback()
        raise click.ClickException(exc.message) from None
    except BaseException:
        deps.uow.rollback()
        raise
    deps.uow.commit()


def _line(user: User) -> str:
    state = "disabled" if user.disabled_at is not None else "enabled"
    held = ",".join(sorted(user.role_names)) or "-"
    return f"{user.id}  {user.email}  {state}  roles={held}"


roles_cli = AppGroup("roles", help="Roles with permissions, assigned to users (docs/roles.md).")


@roles_cli.command("create")
@click.argument("name")
@click.option("--permission", "-p", "permissions", multiple=True,
              help="A permission the role grants (repeatable), e.g. usercore.admin.")
@click.option("--description", help="What the role is for.")
def roles_create(name: str, permissions: tuple[str, ...], description: str | None) -> None:
    """Create the role NAME with its permissions."""
    with _work() as deps:
        role = roles.create_role(deps, name, permissions=permissions, description=description)
        admin.record(deps, CLI, "create-role", None, role=name,
                     permissions=sorted(role.permission_set))
    click.echo(f"created role {name}")


@roles_cli.command("delete")
@click.argument("name")
def roles_delete(name: str) -> None:
    """Delete the role NAME; its holders lose it."""
    with _work() as deps:
        roles.delete_role(deps, roles.find_role(deps, name))
        admin.record(deps, CLI, "delete-role", None, role=name)
    click.echo(f"deleted role {name}")


@roles_cli.command("add")
@click.argument("user")
@click.argument("role")
def roles_add(user: str, role: str) -> None:
    """Give USER the role ROLE."""
    with _work() as deps:
        changed = admin.add_role(deps, CLI, admin.find_user(deps, user), role)
    click.echo(f"{user} holds {role}" + ("" if changed else " already"))


@roles_cli.command("remove")
@click.argument("user")
@click.argument("role")
def roles_remove(user: str, role: str) -> None:
    """Take the role ROLE from USER."""
    with _work() as deps:
        changed = admin.remove_role(deps, CLI, admin.find_user(deps, user), role)
    click.echo(f"{user} no longer holds {role}" if changed else f"{user} did not hold {role}")


@roles_cli.command("list")
def roles_list() -> None:
    """Print every role: name, permissions, number of holders."""
    with _work() as deps:
        for role in roles.list_roles(deps):
            granted = " ".join(sorted(role.permission_set)) or "-"
            click.echo(f"{role.name}  permissions={granted}  "
                       f"holders={roles.holders(deps, role)}")


users_cli = AppGroup("users", help="The accounts: list, show, disable, enable, delete, end "
                                   "their sessions (docs/admin.md).")


@users_cli.command("list")
@click.option("--search", "-q", help="A part of the e-mail address, a name or the nickname.")
@click.option("--disabled/--enabled", default=None, help="Only disabled or enabled accounts.")
@click.option("--role", help="Only holders of this role.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--skip", default=0, show_default=True, type=click.IntRange(min=0))
def users_list(search: str | None, disabled: bool | None, role: str | None, limit: int,
               skip: int) -> None:
    """Print the accounts, oldest first: id, e-mail, state, roles."""
    with _work() as deps:
        found, total = admin.search_users(deps, UserSearch(limit, skip, search, disabled, role))
        for user in found:
            click.echo(_line(user))
    click.echo(f"{len(found)} of {total}")


@users_cli.command("show")
@click.argument("user")
def users_show(user: str) -> None:
    """Print one account."""
    with _work() as deps:
        found = admin.find_user(deps, user)
        click.echo(_line(found))
        click.echo(f"name: {found.first_name} {found.last_name}")
        click.echo(f"registered: {found.created_at:%Y-%m-%dT%H:%M:%SZ}  "
                   f"verified: {found.email_verified_at is not None}  "
                   f"mfa: {found.mfa_active}")
        if found.disabled_at is not None:
            click.echo(f"disabled: {found.disabled_at:%Y-%m-%dT%H:%M:%SZ}")
        click.echo(f"permissions: {' '.join(sorted(found.permissions)) or '-'}")


@users_cli.command("disable")
@click.argument("user")
@click.option("--reason", help="Why (kept in the audit).")
def users_disable(user: str, reason: str | None) -> None:
    """Disable USER: no login; every session, API token and OAuth2 grant ends."""
    with _work() as deps:
        ended = admin.disable_user(deps, CLI, admin.find_user(deps, user), reason)
    click.echo(f"disabled {user}; {ended} credentials ended")


@users_cli.command("enable")
@click.argument("user")
def users_enable(user: str) -> None:
    """Let a disabled USER log in again."""
    with _work() as deps:
        changed = admin.enable_user(deps, CLI, admin.find_user(deps, user))
    click.echo(f"enabled {user}" if changed else f"{user} was not disabled")


@users_cli.command("revoke-sessions")
@click.argument("user")
def users_revoke_sessions(user: str) -> None:
    """End every session of USER (API and OAuth2 tokens stay: disable ends those)."""
    with _work() as deps:
        ended = admin.end_sessions(deps, CLI, admin.find_user(deps, user))
    click.echo(f"ended {ended} session credentials of {user}")


@users_cli.command("delete")
@click.argument("user")
@click.confirmation_option(prompt="Delete this account and all its data?")
def users_delete(user: str) -> None:
    """Delete USER and every row of it (refused while the host's rows refer to it)."""
    with _work() as deps:
        admin.delete_user(deps, CLI, admin.find_user(deps, user))
    click.echo(f"deleted {user}")


#: The groups ``flask usercore`` adds.
GROUPS = (roles_cli, users_cli)
