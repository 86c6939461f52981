"""Forms of the SSH keys page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from ..i18n import lazy_gettext as _l
from .confirm import current_password_field, expiry_field


class SshKeyEditForm(FlaskForm):  # type: ignore[misc]
    """``comment`` and ``expiresAt`` (the API's ``PUT``: empty means no expiry)."""

    comment = StringField(_l("Comment"))
    expiresAt = expiry_field()


class SshKeyAddForm(SshKeyEditForm):
    """The API's create body (``publicKey``, ``comment``, ``expiresAt``) and the current
    password when the sign-in is not recent."""

    publicKey = TextAreaField(_l("Public key"), validators=[DataRequired()],
                              render_kw={"rows": 4, "spellcheck": "false",
                                         "autocomplete": "off"})
    password = current_password_field()
