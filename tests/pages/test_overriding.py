"""A host overrides our page templates one by one, or the whole layout, from its own
templates folder (docs/pages.md, "Overriding the templates"); it may also register the pages'
blueprint itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_usercore import UserCore
from flask_usercore.config import ConfigError
from flask_usercore.pages import create_pages_blueprint
from tests.pages.page_support import forms


def _templates(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "templates" / "usercore" / "pages" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "templates"


def test_a_host_layout_replaces_ours_and_keeps_the_pages(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    folder = _templates(tmp_path, {"_base.html": (
        "<!doctype html><html lang=\"{{ lang }}\"><title>{% block title %}{% endblock %}"
        "</title><body class=\"host-layout\">{% block body %}{% endblock %}</body></html>")})

    def use_host_templates(app: Flask) -> None:
        app.template_folder = str(folder)

    app = make_app(pages=True, before_init=use_host_templates)
    page = app.test_client().get("/account/sign-in", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert 'class="host-layout"' in page.text
    assert "sign-in-form" in forms(page.text)  # our page inside the host's layout
    assert "Anmelden" in page.text


def test_a_host_page_replaces_one_of_ours(make_app: Callable[..., Flask],
                                          tmp_path: Path) -> None:
    folder = _templates(tmp_path, {
        "sign-in.html": "<p id=\"host-sign-in\">{{ form.email.label.text }}</p>"})

    def use_host_templates(app: Flask) -> None:
        app.template_folder = str(folder)

    app = make_app(pages=True, before_init=use_host_templates)
    page = app.test_client().get("/account/sign-in")
    assert page.text == '<p id="host-sign-in">E-mail address</p>'


def test_a_host_registers_the_pages_itself(make_app: Callable[..., Flask]) -> None:
    app = make_app({"USERCORE_PAGES": False})
    app.register_blueprint(create_pages_blueprint(), url_prefix="/me")
    page = app.test_client().get("/me/sign-in")
    assert page.status_code == 200
    assert forms(page.text)["sign-in-form"]["action"].startswith("/me/sign-in")


def test_the_pages_need_a_secret_key(database_url: str, _schema: None) -> None:
    app = Flask("no_secret")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url,
                      USERCORE_SECRET_KEY="a usercore secret of 32 characters")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        UserCore(app, db=SQLAlchemy(app), pages=True)
