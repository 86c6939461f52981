"""Forms of the profile."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class ProfileForm(FlaskForm):  # type: ignore[misc]
    """The person's names and the APITree Profile's public fields."""

    firstName = StringField(_l("First name"),
                            validators=[DataRequired(), Length(max=120)],
                            render_kw={"autocomplete": "given-name"})
    lastName = StringField(_l("Last name"), validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "family-name"})
    nickname = StringField(_l("Nickname"), validators=[Length(max=64)],
                           render_kw={"autocomplete": "nickname"})
