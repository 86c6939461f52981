"""Forms of changing the e-mail address."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class ChangeEmailForm(FlaskForm):  # type: ignore[misc]
    """The new address and the current password that confirms the change."""

    email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Current password"),
                             validators=[DataRequired(), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})


class ResendEmailForm(FlaskForm):  # type: ignore[misc]
    """Only its CSRF token: a new code for the pending address."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "resend")
        super().__init__(*args, **kwargs)


class ConfirmEmailForm(FlaskForm):  # type: ignore[misc]
    """The mail link's ``userId`` and ``token``, sent back by the confirmation button."""

    userId = HiddenField(validators=[DataRequired(), Length(max=64)])
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
