"""Sessions: list them, show one, end one, end all others, and the one-query revocation that
password change and reset, e-mail change and MFA reset call (:func:`revoke_sessions`).

A session is a credential row of kind ``session``: its ``id`` is the public ``tokenId``, its
``token_hash``/``refresh_hash`` the current access and refresh token (both rotate in place on
refresh, so the id stays), ``family_id`` its own id. Its rotated refresh tokens are rows of
kind ``spent_refresh`` carrying the session's id as ``family_id`` (reuse detection); ending a
session ends them too.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from ..errors import N_, NotFound
from ..models import Credential, CredentialKind
from .context import Auth, Deps

#: Kinds a session revocation removes: sessions, their spent refresh tokens and the
#: retrieval keys that would start new ones.
_SESSION_KINDS = (CredentialKind.SESSION, CredentialKind.SPENT_REFRESH,
                  CredentialKind.RETRIEVAL_KEY)
_LISTED = (Credential.id, Credential.created_at, Credential.last_used_at, Credential.user_agent,
           Credential.ip_address)


def _kinds(kinds: Sequence[str]) -> list[str]:
    return [str(kind) for kind in kinds]


def revoke_sessions(deps: Deps, user_id: uuid.UUID, *,
                    except_credential_id: uuid.UUID | None = None) -> int:
    """End every session of ``user_id`` but ``except_credential_id`` (the caller's own, if
    given), with their spent refresh tokens and pending retrieval keys: one ``DELETE``.

    Returns the number of rows removed. API tokens and OAuth2 tokens are kept (see
    :func:`revoke_for_password_change`).
    """
    return _revoke(deps, user_id, _SESSION_KINDS, except_credential_id)


def revoke_for_password_change(deps: Deps, user_id: uuid.UUID, *,
                               except_credential_id: uuid.UUID | None = None) -> int:
    """What a password change or reset ends: every session (:func:`revoke_sessions`) and
    every OAuth2 grant's tokens (whoever holds a stolen password may have granted an app
    access) but the one of ``except_credential_id``, and the API tokens too when
    ``USERCORE_PASSWORD_CHANGE_REVOKES_API_TOKENS`` is on. One ``DELETE``."""
    kinds: tuple[str, ...] = (*_SESSION_KINDS, CredentialKind.OAUTH2,
                              CredentialKind.OAUTH2_SPENT_REFRESH)
    if deps.config.password_change_revokes_api_tokens:
        kinds += (CredentialKind.API_TOKEN,)
    return _revoke(deps, user_id, kinds, except_credential_id)


def _revoke(deps: Deps, user_id: uuid.UUID, kinds: Sequence[str],
            except_id: uuid.UUID | None) -> int:
    statement = delete(Credential).where(Credential.user_id == user_id,
                                         Credential.kind.in_(_kinds(kinds)))
    if except_id is not None:  # the kept session's own row and its spent refresh tokens
        statement = statement.where(func.coalesce(Credential.family_id, Credential.id)
                                    != except_id)
    result = deps.session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class SessionLocation:
    """Where a session was started: its IPv4 address and the city and country the location
    hook found for it (each None when unknown; one of them at least is known)."""

    ip_address: str | None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session as ``UserSession`` shows it."""

    token_id: uuid.UUID
    created: dt.datetime
    last_access: dt.datetime | None
    #: ``browser``, ``os``, ``model``, ``type`` (those that are known).
    device: dict[str, str] = field(default_factory=dict)
    location: SessionLocation | None = None


@lru_cache(maxsize=4096)
def describe_device(user_agent: str | None) -> dict[str, str]:
    """``DeviceInfo`` parsed from a User-Agent with ua-parser: browser, os, model, type.

    Fields ua-parser cannot tell are left out (an unknown client gives ``{}``). ``type`` is
    ``bot``, ``tablet``, ``mobile`` or ``desktop`` when the device or OS says so. The rules
    are loaded on the first call, not at import.
    """
    if not user_agent:
        return {}
    from ua_parser import parse

    result = parse(user_agent)
    device: dict[str, str] = {}
    if result.user_agent is not None:
        device["browser"] = result.user_agent.family
    if result.os is not None:
        device["os"] = result.os.family
    if result.device is not None and result.device.family != "Other":
        parts = [result.device.brand, result.device.model]
        model = " ".join(p for p in dict.fromkeys(parts) if p) or result.device.family
        device["model"] = model
    kind = _device_type(result.device.family if result.device else None,
                        result.os.family if result.os else None)
    if kind:
        device["type"] = kind
    return device


_MOBILE_OS = frozenset({"iOS", "Android", "iPadOS", "Windows Phone", "BlackBerry OS",
                        "KaiOS", "HarmonyOS"})
_DESKTOP_OS = frozenset({"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Chrome OS",
                         "Debian", "FreeBSD", "OpenBSD", "macOS"})


def _device_type(device_family: str | None, os_family: str | None) -> str | None:
    if device_family == "Spider":
        return "bot"
    if device_family and ("iPad" in device_family or "Tablet" in device_family):
        return "tablet"
    if os_family in _MOBILE_OS:
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return None


@lru_cache(maxsize=4096)
def _ip_address(value: str | None) -> str | None:
    """The address as the document's ``Location`` (format ipv4) allows it: IPv4, also when
    it came IPv4-mapped; an IPv6 address is left out (see docs/sessions-and-tokens.md)."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return str(address.ipv4_mapped) if address.ipv4_mapped else None
    return str(address)


def _describe(deps: Deps, rows: Sequence[Any]) -> list[SessionInfo]:
    """``rows``: ``Row`` objects of the :data:`_LISTED` columns."""
    located: dict[str, SessionLocation | None] = {}
    pending_uses = deps.last_access.pending_many([row.id for row in rows])
    out = []
    for row in rows:
        location: SessionLocation | None = None
        if row.ip_address:
            if row.ip_address not in located:
                found = deps.location.locate(row.ip_address)
                city, country = (found.city, found.country) if found else (None, None)
                place = SessionLocation(_ip_address(row.ip_address), city or None,
                                        country or None)
                known = place.ip_address or place.city or place.country
                located[row.ip_address] = place if known else None
            location = located[row.ip_address]
        pending = pending_uses.get(row.id)
        last = row.last_used_at
        if pending is not None and (last is None or pending > last):
            last = pending
        out.append(SessionInfo(row.id, row.created_at, last, describe_device(row.user_agent),
                               location))
    return out


def _own_sessions(user_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(Credential.user_id == user_id, Credential.kind == CredentialKind.SESSION)


def list_sessions(deps: Deps, auth: Auth, *, limit: int | None,
                  skip: int) -> tuple[list[SessionInfo], int]:
    """One page of the caller's sessions, newest first, and how many there are in all."""
    criteria = _own_sessions(auth.user.id)
    total = deps.session.scalar(select(func.count()).select_from(Credential).where(criteria))
    query = (select(*_LISTED).where(criteria)
             .order_by(Credential.created_at.desc(), Credential.id).offset(skip))
    if limit is not None:
        query = query.limit(limit)
    rows = deps.session.execute(query).all() if limit != 0 else []
    return _describe(deps, rows), int(total or 0)


def _parse_id(token_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(token_id)
    except ValueError:
        raise NotFound(N_("there is no such session")) from None


def get_session(deps: Deps, auth: Auth, token_id: str) -> SessionInfo:
    """One of the caller's sessions; 404 for an unknown id or another user's session."""
    row = deps.session.execute(
        select(*_LISTED)
        .where(Credential.id == _parse_id(token_id), _own_sessions(auth.user.id))).first()
    if row is None:
        raise NotFound(N_("there is no such session"))
    return _describe(deps, [row])[0]


def end_session(deps: Deps, auth: Auth, token_id: str) -> None:
    """End one of the caller's sessions (the current one too) with its spent refresh
    tokens; 404 for an unknown id or another user's session."""
    session_id = _parse_id(token_id)
    result = deps.session.execute(
        delete(Credential).where(
            Credential.user_id == auth.user.id,
            or_(and_(Credential.id == session_id, Credential.kind == CredentialKind.SESSION),
                and_(Credential.family_id == session_id,
                     Credential.kind == CredentialKind.SPENT_REFRESH)))
        .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        raise NotFound(N_("there is no such session"))


def end_other_sessions(deps: Deps, auth: Auth) -> None:
    """End every session of the caller but the one of this request."""
    revoke_sessions(deps, auth.user.id, except_credential_id=auth.credential.id)
