"""Forms of the sign-in by provider and the linked providers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class ProviderStartForm(FlaskForm):  # type: ignore[misc]
    """Only its CSRF token: a sign-in by provider starts with a POST from our page."""


class ProviderCodeForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST /v2/providers/authenticate-mfa``: the account's second factor."""

    multiFactorCode = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class LinkProviderForm(FlaskForm):  # type: ignore[misc]
    """The provider to link (the value of the button pressed) and the current password,
    which a session that is not fresh needs (``POST /v2/users/self/identities/<provider>``
    takes a fresh session)."""

    provider = StringField(validators=[DataRequired(), Length(max=32)])
    password = PasswordField(_l("Current password"), validators=[Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})


class UnlinkProviderForm(FlaskForm):  # type: ignore[misc]
    """The confirmation of unlinking a provider."""

    confirm = BooleanField(_l("Yes, unlink it"), validators=[DataRequired()])
