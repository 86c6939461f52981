"""Forms of signing up and verifying the e-mail address."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class SignUpForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST /v2/register``: the person's names, the address, the password."""

    firstName = StringField(_l("First name"), validators=[DataRequired(), Length(max=120)],
                            render_kw={"autocomplete": "given-name"})
    lastName = StringField(_l("Last name"), validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "family-name"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=4096)],
                             render_kw={"autocomplete": "new-password"})


class VerifyEmailForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST /v2/verify-registration``: the account's id (from the mail's
    link), the address and the mailed code."""

    userId = HiddenField()
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    token = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=64)],
                        render_kw={"autocomplete": "one-time-code"})


class ResendEmailForm(FlaskForm):  # type: ignore[misc]
    """The body of ``POST .../email/actions/resend-email``: the account's id and address.
    Its fields are prefixed ``resend-``: it shares a page with :class:`VerifyEmailForm`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "resend")
        super().__init__(*args, **kwargs)

    userId = HiddenField()
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
