"""Form pieces the account pages of credentials share: the confirmation of a removal, the
current password of a change that needs a recent sign-in, and an expiry."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import DateTimeLocalInput

from ..i18n import lazy_gettext as _l

#: How an expiry is shown in its field (``<input type="datetime-local">``, in UTC).
EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%S"


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """The confirmation step of a removal: a checkbox that must be ticked."""

    confirm = BooleanField(_l("Yes, I am sure"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


def current_password_field() -> PasswordField:
    """The current password, asked for by a change that needs a recent sign-in
    (:func:`flask_usercore.services.reauth.require_recent`): optional while the sign-in
    is recent."""
    return PasswordField(_l("Current password"), validators=[Length(max=4096)],
                         render_kw={"autocomplete": "current-password"})


def expiry_field() -> StringField:
    """An expiry in UTC; the API's schema judges it (:func:`expiry_wire`)."""
    return StringField(_l("Expires at (UTC)"), widget=DateTimeLocalInput(),
                       render_kw={"step": "1"})


def expiry_wire(value: str | None) -> str | None:
    """The wire's ``expiresAt`` of the field's value (a ``datetime-local`` value is in UTC
    here), None when it is empty."""
    value = (value or "").strip()
    return f"{value}Z" if value else None


def expiry_value(value: dt.datetime | None) -> str:
    """The field's value of a stored expiry."""
    return value.astimezone(dt.UTC).strftime(EXPIRY_FORMAT) if value else ""
