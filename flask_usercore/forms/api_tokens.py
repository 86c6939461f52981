"""Forms of the API tokens page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import lazy_gettext as _l
from .confirm import current_password_field, expiry_field


class ApiTokenEditForm(FlaskForm):  # type: ignore[misc]
    """``description`` and ``expiresAt`` (the API's ``PUT``: empty means no expiry)."""

    description = StringField(_l("Description"), validators=[DataRequired()])
    expiresAt = expiry_field()


class ApiTokenCreateForm(ApiTokenEditForm):
    """The API's create body (``description``, ``roles``, ``expiresAt``) and the current
    password when the sign-in is not recent."""

    #: The choices are set by the page (the admin role only for whom may hold it); the
    #: API's schema judges what is sent.
    roles = SelectMultipleField(_l("Permissions"), choices=[], default=["api_read"],
                                validate_choice=False,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    password = current_password_field()
