"""``flask usercore create-oauth-client | list-oauth-clients | delete-oauth-client``."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from ..errors import NotFound, ValidationFailed
from ..state import usercore_state
from .clients import DEFAULT_GRANTS, GRANT_TYPES, KNOWN_SCOPES, create_client, delete_client
from .clients import list_clients as all_clients


def _fail(exc: ValidationFailed) -> click.ClickException:
    return click.ClickException("\n".join(f"{e.path}: {e.message}" for e in exc.errors))


@click.command("create-oauth-client")
@with_appcontext
@click.option("--name", required=True, help="The application's name (shown on the consent page).")
@click.option("--redirect-uri", "redirect_uris", multiple=True,
              help="A redirect URI, matched exactly (repeat for several).")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(KNOWN_SCOPES),
              help="A scope the client may ask for (repeatable; default: profile).")
@click.option("--grant", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES),
              help="A grant type (repeatable; default: authorization_code, refresh_token).")
@click.option("--public", is_flag=True,
              help="A public client (browser or mobile app): no secret, PKCE required.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"client_id", "client_secret", "redirect_uri"} as JSON.')
def create_oauth_client(name: str, redirect_uris: tuple[str, ...], scopes: tuple[str, ...],
                        grant_types: tuple[str, ...], public: bool, as_json: bool) -> None:
    """Register an OAuth2 client and print its id and secret (shown only now).

    With --json, "redirect_uri" is the first redirect URI and "client_secret" is null for a
    public client.
    """
    deps = usercore_state().deps
    try:
        new = create_client(deps, name=name, redirect_uris=redirect_uris,
                            scopes=scopes or ("profile",),
                            grant_types=grant_types or DEFAULT_GRANTS, public=public)
    except ValidationFailed as exc:
        raise _fail(exc) from None
    client = new.client
    client_id, uris = client.client_id, client.redirect_uri_list
    deps.uow.commit()
    if as_json:
        click.echo(json.dumps({"client_id": client_id, "client_secret": new.client_secret,
                               "redirect_uri": uris[0] if uris else None}))
        return
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {new.client_secret or '(none: public client, use PKCE)'}")
    for uri in uris:
        click.echo(f"redirect_uri:  {uri}")


@click.command("list-oauth-clients")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_oauth_clients(as_json: bool) -> None:
    """List the registered OAuth2 clients (never their secrets)."""
    rows: list[dict[str, Any]] = [{"client_id": c.client_id, "name": c.name, "public": c.is_public,
             "redirect_uris": c.redirect_uri_list, "grant_types": c.grant_types.split(),
             "scopes": c.scope_list, "created_at": c.created_at.isoformat()}
            for c in all_clients(usercore_state().deps)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        kind = "public" if row["public"] else "confidential"
        click.echo(f"{row['client_id']}  {row['name']}  ({kind}; "
                   f"{' '.join(row['grant_types'])}; scopes {' '.join(row['scopes'])})")


@click.command("delete-oauth-client", context_settings={"ignore_unknown_options": True})
@with_appcontext
@click.argument("client_id")
def delete_oauth_client(client_id: str) -> None:
    """Delete an OAuth2 client with its consents, codes and tokens.

    New client ids never start with "-"; an older one that does is taken as it is, or
    after "--" (delete-oauth-client -- -Zq3...).
    """
    deps = usercore_state().deps
    try:
        delete_client(deps, client_id)
    except NotFound as exc:
        raise click.ClickException(exc.message) from None
    deps.uow.commit()
    click.echo(f"deleted {client_id}")


#: The commands ``cli.py`` adds to ``flask usercore``.
COMMANDS = (create_oauth_client, list_oauth_clients, delete_oauth_client)
