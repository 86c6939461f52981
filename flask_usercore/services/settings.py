"""Personalized GUI settings: one opaque base64 document per user."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .. import signals
from ..commands.settings import UpdateSettings
from ..errors import N_, ValidationFailed
from ..models import User, UserSettings
from .context import Deps, after_commit

#: The command field of the document (:class:`UpdateSettings`).
FIELD = "settings_string"


def get_settings(deps: Deps, user: User) -> str | None:
    """The user's ``settingsString``, or None when they stored none."""
    row = deps.session.get(UserSettings, user.id)
    return row.settings if row is not None else None


def decode_settings(deps: Deps, settings: str) -> bytes:
    """The decoded document; 400 when it is no base64 or larger than the limit."""
    if len(settings) > (deps.config.max_settings_bytes + 2) // 3 * 4:
        raise ValidationFailed.on(FIELD, "maxLength", N_(
            "the settings may hold at most %(count)s bytes",
            count=deps.config.max_settings_bytes))
    try:
        return base64.b64decode(settings, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.on(FIELD, "format", N_("settingsString must be base64 "
                                  "(RFC 4648, with padding)")) from None


def _new_values(excluded: Any) -> dict[str, Any]:
    """What an upsert's ``ON CONFLICT DO UPDATE`` writes: the row it could not insert."""
    return {"settings": excluded.settings, "updated_at": excluded.updated_at}


def put_settings(deps: Deps, user: User, command: UpdateSettings) -> None:
    """Replace the user's settings (one upsert, safe against a parallel PUT)."""
    settings = command.settings_string
    document = decode_settings(deps, settings)
    if len(document) > deps.config.max_settings_bytes:
        raise ValidationFailed.on(FIELD, "maxLength", N_(
            "the settings may hold at most %(count)s bytes",
            count=deps.config.max_settings_bytes))
    now = deps.clock()
    values = {"user_id": user.id, "settings": settings, "updated_at": now}
    dialect = deps.session.get_bind().dialect.name
    # the dialect's own module only: an app on SQLite never imports PostgreSQL's (2 MiB)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        upsert = pg_insert(UserSettings).values(values)
        deps.session.execute(upsert.on_conflict_do_update(
            index_elements=[UserSettings.user_id], set_=_new_values(upsert.excluded)))
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(UserSettings).values(values)
        deps.session.execute(statement.on_conflict_do_update(
            index_elements=[UserSettings.user_id], set_=_new_values(statement.excluded)))
    else:  # another database: read, then write
        row = deps.session.get(UserSettings, user.id)
        if row is None:
            deps.session.add(UserSettings(**values))
        else:
            row.settings, row.updated_at = settings, now
        deps.session.flush()
    after_commit(deps, lambda: signals.settings_changed.send(deps.sender, user=user))
