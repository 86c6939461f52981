"""``flask usercore ...``: database migrations and account administration."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .models import utcnow
from .services.registration import create_user


@click.group("usercore")
def usercore_cli() -> None:
    """flask-usercore administration."""


@usercore_cli.command("create-user")
@click.option("--email", required=True, help="E-mail address (the login).")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.password_option(help="Password (checked against the password policy).")
@click.option("--verified", is_flag=True, help="Mark the e-mail address as verified.")
@with_appcontext
def create_user_command(email: str, first_name: str, last_name: str, password: str,
                        verified: bool) -> None:
    """Create an account without the verification mail (optionally verified)."""
    deps = current_app.extensions["usercore"].deps
    user = create_user(deps, email=email, password=password,
                       person={"first_name": first_name, "last_name": last_name},
                       verified_at=utcnow() if verified else None)
    click.echo(str(user.id))
