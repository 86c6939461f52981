"""Forms of resetting a forgotten password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST .../init-password-reset``: the account's address."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST .../password/confirm-reset``: the account's id (from the mail's
    link), the mailed code and the new password."""

    userId = HiddenField()
    token = StringField(_l("Reset code"), validators=[DataRequired(), Length(max=64)],
                        render_kw={"autocomplete": "one-time-code"})
    password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                             Length(max=4096)],
                             render_kw={"autocomplete": "new-password"})
