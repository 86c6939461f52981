"""Forms of the MFA set-up: start it (with the password), confirm it, replace the
recovery codes, turn MFA off. Each has its own prefix, as they share a page."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


def _code(label: Any) -> StringField:
    return StringField(label, validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class _Prefixed(FlaskForm):  # type: ignore[misc]
    """A form whose fields carry ``PREFIX`` in their names and ids."""

    PREFIX = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class SetUpMfaForm(_Prefixed):
    """The current password: setting MFA up needs a recent sign-in."""

    PREFIX = "setup"
    password = PasswordField(_l("Current password"),
                             validators=[DataRequired(), Length(max=4096)],
                             render_kw={"autocomplete": "current-password"})


class ConfirmMfaForm(_Prefixed):
    """The first code of the authenticator app."""

    PREFIX = "confirm"
    multiFactorCode = _code(_l("Code from your authenticator app"))


class RecoveryCodesForm(_Prefixed):
    """A code of the app or a recovery code: new recovery codes replace the old ones."""

    PREFIX = "codes"
    multiFactorCode = _code(_l("Code from your authenticator app, or a recovery code"))


class DisableMfaForm(_Prefixed):
    """A code of the app or a recovery code: MFA goes off."""

    PREFIX = "disable"
    multiFactorCode = _code(_l("Code from your authenticator app, or a recovery code"))
