"""Forms of deleting the account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l
from .password_change import code_field


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    """The password, the second factor when MFA is on, and a checkbox that confirms."""

    password = PasswordField(_l("Current password"),
                             validators=[DataRequired(), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})
    multiFactorCode = code_field()
    confirm = BooleanField(_l("I understand that my account and all its data are deleted "
                              "for good."), validators=[DataRequired()])
