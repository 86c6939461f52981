"""The markup the field macro writes (usercore/pages/_macros.html)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.pages.page_support import sign_in


def _input(html: str, field_id: str) -> str:
    match = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html)
    assert match, field_id
    return match.group(0)


def test_only_required_fields_are_marked_required(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    page = client.get("/account/profile").text
    assert " required" in _input(page, "firstName")
    assert "required" not in _input(page, "nickname")  # optional: no required="None"


def _form_classes() -> list[type]:
    import importlib
    import inspect
    import pkgutil

    from flask_wtf import FlaskForm

    import flask_usercore.forms as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__]
    return found


def test_the_fast_rendering_writes_what_wtforms_writes_for_every_field(app: Flask) -> None:
    from flask_usercore.forms.users import ProfileForm
    from flask_usercore.pages.rendering import (
        _fast_widget,
        html_params,
        render_input,
        render_label,
    )

    classes = _form_classes()
    assert len(classes) >= 3
    tricky = 'a "quoted" <b> & \'single\''
    variants: list[dict[str, Any]] = [
        {}, {"required": True}, {"required": False},
        {"aria-describedby": "x-hint x-error", "aria-invalid": "true"},
        {"data_note": tricky, "class_": "wide"}]
    with app.test_request_context("/account/", headers={"Accept-Language": "de"}):
        for cls in classes:
            form = cls(data={name: tricky for name in cls()._fields})
            for field in form:
                for kwargs in variants:
                    assert render_input(field, **kwargs) == field(**kwargs), (cls, field.name)
                assert render_label(field) == field.label(), (cls, field.name)
    for kwargs in variants:
        assert html_params(**kwargs) == wtforms_params(**kwargs)
    assert _fast_widget(ProfileForm.firstName.field_class.widget) is not None  # the fast path


def wtforms_params(**kwargs: Any) -> str:
    from wtforms.widgets import html_params

    return str(html_params(**kwargs))


#: The field() macro as it was written in Jinja before usercore_field took its place: the
#: markup every field must keep.
JINJA_FIELD = """{% macro field(f, hint=None) -%}
{%- set described = [] -%}
{%- if hint %}{% set ignored = described.append(f.id ~ '-hint') %}{% endif -%}
{%- if f.errors %}{% set ignored = described.append(f.id ~ '-error') %}{% endif -%}
<div class="field{% if f.errors %} invalid{% endif %}">
{%- if f.type == 'BooleanField' %}
  {{ usercore_input(f, **({'aria-describedby': described|join(' ')} if described else {})) }} {{ usercore_label(f) }}
{%- else %}
  {{ usercore_label(f) }}
  {%- if hint %}<p class="hint" id="{{ f.id }}-hint">{{ hint }}</p>{% endif %}
  {{ usercore_input(f, required=f.flags.required is sameas true,
       **({'aria-describedby': described|join(' '), 'aria-invalid': 'true'} if f.errors
          else ({'aria-describedby': described|join(' ')} if described else {}))) }}
{%- endif %}
  {%- if f.errors %}
  <p class="error" id="{{ f.id }}-error">{% for e in f.errors %}{{ e }}{% if not loop.last %} {% endif %}{% endfor %}</p>
  {%- endif %}
</div>
{%- endmacro %}"""  # noqa: E501


def test_the_field_macro_writes_what_the_jinja_macro_wrote_for_every_field(
        app: Flask) -> None:
    from flask_usercore.i18n import lazy_gettext

    tricky = 'a "quoted" <b> & \'single\''
    use = "{{ field(f, hint) }}"
    ours = '{% from "usercore/pages/_macros.html" import field %}' + use
    jinja = JINJA_FIELD + use
    hints = [None, "", tricky, lazy_gettext("Changing it signs you out on every other device.")]
    error_lists = [[], [tricky], ["First.", lazy_gettext("Profile"), tricky]]
    compared, kinds = 0, set()
    ours_template, jinja_template = (app.jinja_env.from_string(ours),
                                     app.jinja_env.from_string(jinja))
    with app.test_request_context("/account/", headers={"Accept-Language": "de"}):
        for cls in _form_classes():
            form = cls(data={name: tricky for name in cls()._fields})
            for f in form:
                for hint in hints:
                    for errors in error_lists:
                        f.errors = list(errors)
                        expected = jinja_template.render(f=f, hint=hint)
                        assert ours_template.render(f=f, hint=hint) == expected, \
                            (cls, f.name, hint, errors)
                        compared += 1
                        kinds.add(f.type)
    assert compared > 100 and {"BooleanField", "StringField", "PasswordField"} <= kinds
