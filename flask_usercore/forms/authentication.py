"""Forms of signing in and out."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class SignInForm(FlaskForm):  # type: ignore[misc]
    """E-mail and password; the second factor's code once the account asks for it."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})
    multiFactorCode = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class SignOutForm(FlaskForm):  # type: ignore[misc]
    """Only its CSRF token: signing out is a POST from our page."""
