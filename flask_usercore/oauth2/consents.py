"""Consents: which scopes a user allowed which client; the "authorized apps" list.

A consent covers a request when it holds every scope asked for; granting adds scopes to
what was allowed before. Withdrawing one deletes it and revokes every token the client
holds for the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from .. import signals
from ..errors import N_, NotFound
from ..models import Credential, CredentialKind, OAuth2Client, OAuth2Consent, User
from ..services.context import Deps, after_commit
from .hygiene import value_problem
from .store import revoke_client_tokens


@dataclass(frozen=True, slots=True)
class AuthorizedApp:
    """One consent as ``GET /v2/users/self/oauth2/consents`` shows it."""

    client_id: str
    client_name: str
    scopes: list[str]
    consented_at: dt.datetime
    last_used_at: dt.datetime | None


def _find(deps: Deps, user: User, client_id: str) -> OAuth2Consent | None:
    return deps.session.scalars(select(OAuth2Consent).where(
        OAuth2Consent.user_id == user.id, OAuth2Consent.client_id == client_id)).first()


def has_consent(deps: Deps, user: User, client_id: str, scope: str) -> bool:
    """Whether ``user`` already allowed ``client_id`` every scope of ``scope``."""
    consent = _find(deps, user, client_id)
    return consent is not None and set(scope.split()) <= set(consent.scopes.split())


def grant_consent(deps: Deps, user: User, client_id: str, scope: str) -> None:
    """Record that ``user`` allows ``client_id`` the scopes of ``scope`` (added to earlier
    ones); the ``oauth2-consent-granted`` signal follows the commit."""
    requested = scope.split()
    consent = _find(deps, user, client_id)
    if consent is None:
        consent = OAuth2Consent(user_id=user.id, client_id=client_id, scopes=scope)
        deps.session.add(consent)
    else:
        consent.scopes = " ".join(dict.fromkeys([*consent.scopes.split(), *requested]))
        consent.updated_at = deps.clock()
    after_commit(deps, lambda: signals.oauth2_consent_granted.send(
        deps.sender, user=user, client_id=client_id, scopes=requested))


def list_consents(deps: Deps, user: User) -> list[AuthorizedApp]:
    """The clients ``user`` consented to, newest consent first, with the last use of their
    tokens (two queries)."""
    rows = deps.session.execute(
        select(OAuth2Consent, OAuth2Client.name)
        .join(OAuth2Client, OAuth2Client.client_id == OAuth2Consent.client_id)
        .where(OAuth2Consent.user_id == user.id)
        .order_by(OAuth2Consent.updated_at.desc(), OAuth2Consent.client_id)).all()
    used: dict[str | None, dt.datetime | None] = {
        client_id: last for client_id, last in deps.session.execute(
            select(Credential.description, func.max(Credential.last_used_at))
            .where(Credential.user_id == user.id, Credential.kind == CredentialKind.OAUTH2)
            .group_by(Credential.description))}
    return [AuthorizedApp(consent.client_id, name, consent.scopes.split(), consent.updated_at,
                          used.get(consent.client_id)) for consent, name in rows]


def withdraw_consent(deps: Deps, user: User, client_id: str) -> None:
    """Delete the consent and revoke the client's tokens of ``user``; 404 without one (also
    for an id no client can have, which never reaches the database: ``hygiene.py``)."""
    if value_problem("client_id", client_id) is not None:
        raise NotFound(N_("there is no consent for this client"))
    removed = deps.session.execute(
        delete(OAuth2Consent).where(OAuth2Consent.user_id == user.id,
                                    OAuth2Consent.client_id == client_id)
        .execution_options(synchronize_session=False))
    if not getattr(removed, "rowcount", 0):
        raise NotFound(N_("there is no consent for this client"))
    revoke_client_tokens(deps, user.id, client_id)
    user_id = user.id
    after_commit(deps, lambda: signals.oauth2_token_revoked.send(
        deps.sender, user_id=user_id, client_id=client_id, reason="consent_withdrawn"))
