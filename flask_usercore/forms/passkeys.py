"""Forms of the passkey pages. The browser's answer to a WebAuthn ceremony travels in the
hidden field ``credential`` (its ``PublicKeyCredential`` as JSON, filled in by
``static/usercore/passkeys.js``), as the API's bodies carry it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import lazy_gettext as _l

_NO_ANSWER = _l("Your browser gave no passkey: passkeys need JavaScript and a browser "
                "that supports them.")


def _credential() -> HiddenField:
    return HiddenField(validators=[DataRequired(message=_NO_ANSWER), Length(max=65536)])


class PasskeySignInForm(FlaskForm):  # type: ignore[misc]
    """The answer to the options of a passkey sign-in."""

    credential = _credential()


class PasskeySecondFactorForm(FlaskForm):  # type: ignore[misc]
    """The second factor with a passkey: the first factor again (as the API asks for it)
    and the answer."""

    email = HiddenField(validators=[DataRequired(), Length(max=254)])
    password = HiddenField(validators=[DataRequired(), Length(max=4096)])
    credential = _credential()


class PasskeyAddForm(FlaskForm):  # type: ignore[misc]
    """A new passkey: its name and, unless the session is fresh, the current password;
    then (the second step) the browser's answer."""

    name = StringField(_l("Name of the passkey"), validators=[Optional(), Length(max=64)],
                       render_kw={"autocomplete": "off"})
    password = PasswordField(_l("Your current password"),
                             validators=[Optional(), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})
    credential = HiddenField(validators=[Length(max=65536)])


class PasskeyRenameForm(FlaskForm):  # type: ignore[misc]
    """A passkey's new name."""

    name = StringField(_l("Name of the passkey"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "off"})


class PasskeyDeleteForm(FlaskForm):  # type: ignore[misc]
    """The confirmation of removing a passkey."""

    confirm = BooleanField(_l("Yes, remove this passkey: it can no longer sign in."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
