"""Forms of changing the password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


def code_field() -> StringField:
    """``multiFactorCode``: a code of the authenticator app or a recovery code (the API's
    schema checks it; the page shows the field when the account has MFA on)."""
    return StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[Length(max=64)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    """The current password, the new one, and the second factor when MFA is on."""

    oldPassword = PasswordField(_l("Current password"),
                                validators=[DataRequired(), Length(max=4096)],
                                render_kw={"autocomplete": "current-password"})
    newPassword = PasswordField(_l("New password"),
                                validators=[DataRequired(), Length(max=4096)],
                                render_kw={"autocomplete": "new-password"})
    multiFactorCode = code_field()
