"""The pages' templates compiled per language (flask_usercore/pages/compiled.py), their links
kept (rendering.page_links), the language chosen once per Accept-Language value, and the
form helpers written in Python (rendering.render_errors)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient
from jinja2 import DictLoader, Environment
from markupsafe import Markup

from flask_usercore import i18n
from flask_usercore.pages import compiled, rendering
from tests.catalogue_support import write_catalogue
from tests.conftest import PASSWORD
from tests.pages.page_support import sign_in

DE = {"Accept-Language": "de"}


class Marked:
    """A catalogue that marks what it translated."""

    def ugettext(self, message: str) -> str:
        return f"<{message}>"


def _environment() -> Environment:
    environment = Environment(autoescape=True, extensions=[compiled.ConstantMessages],
                              loader=DictLoader({
        "usercore/page.html": ('{{ _("Save") }}|{{ _("%(n)s codes", n=2) }}|{{ _(word) }}|'
                               '{{ box._("Save") }}|{{ _("a") ~ _(\'b\') }}|'
                               '{% set t = _("Profile") %}{{ t }}'),
        "host.html": '{{ _("Save") }}'}))
    environment.usercore_translations = Marked()  # type: ignore[attr-defined]
    return environment


def test_constant_messages_are_translated_when_compiled_the_rest_when_shown() -> None:
    class Box:
        def _(self, text: str) -> str:
            return f"box:{text}"

    def shown(text: str, **variables: Any) -> str:
        return "shown:" + (text % variables if variables else text)

    environment = _environment()
    page = environment.get_template("usercore/page.html").render(
        _=shown, word="Save", box=Box())
    # a constant's translation is escaped as any text is; a call with values, of a
    # variable, or of another object's ``_`` is a call when shown
    assert page == ("&lt;Save&gt;|shown:2 codes|shown:Save|box:Save|&lt;a&gt;&lt;b&gt;|"
                    "&lt;Profile&gt;")
    # a template not of ours is left as it is
    assert environment.get_template("host.html").render(_=shown) == "shown:Save"


def test_an_environment_without_a_catalogue_compiles_as_jinja_does() -> None:
    environment = _environment()
    del environment.usercore_translations  # type: ignore[attr-defined]
    assert environment.get_template("usercore/page.html").render(
        _=lambda text, **values: "x", word="", box={"_": lambda text: "y"}) == "x|x|x|y|xx|x"


def test_a_page_holds_the_translations_of_its_language(
        client: FlaskClient, register: Callable[..., dict[str, Any]]) -> None:
    facts = register()
    sign_in(client, facts["email"], PASSWORD)
    german = client.get("/account/profile", headers=DE).text
    english = client.get("/account/profile", headers={"Accept-Language": "en"}).text
    assert ">Profil</h1>" in german and ">Speichern</button>" in german
    assert 'lang="de"' in german and "Vorname" in german  # the form's label too
    assert ">Profile</h1>" in english and ">Save</button>" in english
    assert german.count("<li>") == english.count("<li>")


def test_a_hosts_catalogue_and_template_are_compiled_in_the_pages_language(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    write_catalogue(tmp_path / "translations", "de", {"Save": "Sichern"})
    page = tmp_path / "templates" / "usercore" / "pages" / "sign-in.html"
    page.parent.mkdir(parents=True)
    page.write_text('<p>{{ _("Save") }} {{ _("Sign in") }} {{ _("Not ours") }}</p>')

    def use_host_templates(app: Flask) -> None:
        app.template_folder = str(tmp_path / "templates")

    app = make_app({"USERCORE_TRANSLATION_DIRECTORIES": [str(tmp_path / "translations")]},
                   pages=True, before_init=use_host_templates)
    client = app.test_client()
    assert client.get("/account/sign-in", headers=DE).text == (
        "<p>Sichern Anmelden Not ours</p>")
    assert client.get("/account/sign-in", headers={"Accept-Language": "en"}).text == (
        "<p>Save Sign in Not ours</p>")


def test_past_the_kept_environments_a_page_is_made_when_shown(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "MAX_ENVIRONMENTS", 1)
    english = client.get("/account/sign-in", headers={"Accept-Language": "en"})
    german = client.get("/account/sign-in", headers=DE)
    (kept,) = app.extensions["usercore_page_environments"]
    assert kept[0] == "en"
    assert "Anmelden" in german.text and "Sign in" in english.text
    assert 'action="/account/sign-in"' in german.text  # its links made when shown
    with app.test_request_context("/", headers=DE):
        assert compiled.page_template(app, "usercore/pages/sign-in.html", "de",
                                      Marked()) == "usercore/pages/sign-in.html"


def _links_environment() -> Environment:
    environment = Environment(autoescape=True, extensions=[compiled.ConstantMessages],
                              loader=DictLoader({"usercore/links.html": (
        '{{ url_for("usercore_pages.profile") }}|{{ url_for("usercore_pages.passkey") }}|'
        '{{ url_for(".profile") }}|{{ url_for("usercore_pages.static", filename="a.css") }}|'
        '{{ box.url_for("usercore_pages.profile") }}')}))
    environment.usercore_translations = Marked()  # type: ignore[attr-defined]
    return environment


def test_links_are_compiled_in_for_one_binding_the_rest_made_when_shown(app: Flask) -> None:
    shown: list[str] = []

    def url_for_shown(endpoint: str, **values: Any) -> str:
        shown.append(endpoint)
        return f"<{endpoint}>"

    class Box:
        url_for = staticmethod(url_for_shown)

    with app.test_request_context("/account/", base_url="http://localhost/app"):
        environment = _links_environment()
        environment.usercore_links = True  # type: ignore[attr-defined]
        page = environment.get_template("usercore/links.html").render(
            url_for=url_for_shown, box=Box())
    # the endpoint without arguments is its URL now (a script root's too); one that needs
    # arguments, a relative one, one with arguments and another object's stay calls
    assert page.split("|")[0] == "/app/account/profile"
    assert shown == ["usercore_pages.passkey", ".profile", "usercore_pages.static",
                     "usercore_pages.profile"]
    shown.clear()
    environment = _links_environment()  # without a binding: every link made when shown
    environment.get_template("usercore/links.html").render(url_for=url_for_shown, box=Box())
    assert len(shown) == 5


def test_a_page_under_a_script_root_or_with_url_defaults_links_right(
        make_app: Callable[..., Flask]) -> None:
    app = make_app(pages=True)
    client = app.test_client()
    plain = client.get("/account/sign-in").text
    rooted = client.get("/account/sign-in", base_url="http://localhost/app").text
    assert 'action="/account/sign-in"' in plain and 'href="/account/password/forgot"' in plain
    assert 'action="/app/account/sign-in"' in rooted
    assert 'href="/app/account/password/forgot"' in rooted
    assert len(app.extensions["usercore_page_environments"]) == 2  # one per binding
    with_defaults = make_app(pages=True)
    with_defaults.url_defaults(lambda endpoint, values: values.setdefault("via", "menu")
                               if endpoint == "usercore_pages.forgot_password" else None)
    page = with_defaults.test_client().get("/account/sign-in").text
    assert 'href="/account/password/forgot?via=menu"' in page
    (key,) = with_defaults.extensions["usercore_page_environments"]
    assert key == ("en", None)  # no binding: no link compiled in


def test_page_links_are_flasks_urls_kept_per_binding(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.test_request_context("/account/profile"):
        link = rendering.page_links()
        assert link("usercore_pages.profile") == url_for("usercore_pages.profile") \
            == "/account/profile"
        assert link("usercore_pages.static", filename="pages.css") == url_for(
            "usercore_pages.static", filename="pages.css")
        assert link("usercore_pages.passkey", passkey_id="x y") == url_for(
            "usercore_pages.passkey", passkey_id="x y") == "/account/passkeys/x%20y"
        assert link("usercore_pages.profile", _external=True) == (
            "http://localhost/account/profile")
        assert link("usercore_pages.profile", _anchor="a") == "/account/profile#a"
        assert rendering.page_links() is link  # one per binding, its URLs kept
        calls: list[str] = []
        monkeypatch.setattr(rendering, "url_for", lambda endpoint, **values: calls.append(
            endpoint) or "/not-kept")
        assert link("usercore_pages.profile") == "/account/profile"  # kept
        assert link("usercore_pages.static", filename="pages.css") == url_for(
            "usercore_pages.static", filename="pages.css")
        assert link("usercore_pages.profile", _anchor="a") == "/not-kept"
        assert link(".profile") == "/not-kept"  # relative: never kept
        assert calls == ["usercore_pages.profile", ".profile"]
        monkeypatch.undo()
    assert len(app.extensions["usercore_page_links"]) == 1
    with app.test_request_context("/account/profile", base_url="http://localhost/app"):
        assert rendering.page_links()("usercore_pages.profile") == url_for(
            "usercore_pages.profile") == "/app/account/profile"
    assert len(app.extensions["usercore_page_links"]) == 2


def test_page_links_follow_the_apps_url_defaults(make_app: Callable[..., Flask]) -> None:
    app = make_app(pages=True)
    app.url_defaults(lambda endpoint, values: values.setdefault("ref", "menu")
                     if endpoint == "usercore_pages.profile" else None)
    with app.test_request_context("/account/"):
        link = rendering.page_links()
        assert link("usercore_pages.profile") == "/account/profile?ref=menu"
    assert "usercore_page_links" not in app.extensions


def test_the_language_is_chosen_once_per_accept_language_value(app: Flask) -> None:
    with app.test_request_context("/", headers=DE):
        assert i18n.current_language() == "de"
    from flask_babel import get_babel

    with app.app_context():
        select = get_babel(app).locale_selector
    for header, language in (("de-CH, de;q=0.9", "de"), ("fr, en;q=0.5", "en"), ("", "en"),
                             ("xx", "en")):
        for _ in range(2):
            with app.test_request_context("/", headers={"Accept-Language": header}):
                assert str(select()) == language
    choices = next(cell.cell_contents for cell in select.__closure__ or ()
                   if isinstance(cell.cell_contents, dict) and "" in cell.cell_contents)
    assert set(choices) >= {"de-CH, de;q=0.9", "fr, en;q=0.5", "", "xx"}
    choices.clear()
    for index in range(300):
        with app.test_request_context("/", headers={"Accept-Language": f"de;q=0.{index}"}):
            select()
    assert len(choices) == i18n.MAX_CHOICES  # bounded: a client cannot grow it


#: The form_errors() macro as it was written in Jinja before usercore_form_errors.
JINJA_FORM_ERRORS = """{% macro form_errors(errors) -%}
{%- if errors %}
<div class="alert" role="alert" id="form-errors">
  {%- for e in errors %}<p>{{ e }}</p>{% endfor %}
</div>
{%- endif %}
{%- endmacro %}"""


@pytest.mark.parametrize("errors", [[], None, ["one"], ["<b>x</b> & y", Markup("<i>z</i>")]])
def test_form_errors_writes_what_the_jinja_macro_wrote(app: Flask, errors: Any) -> None:
    use = "[{{ form_errors(errors) }}]"
    with app.test_request_context("/account/"):
        ours = render_template_string(
            '{% from "usercore/pages/_macros.html" import form_errors %}' + use, errors=errors)
        theirs = render_template_string(JINJA_FORM_ERRORS + use, errors=errors)
    assert ours == theirs


def test_a_label_in_a_page_is_translated_by_the_pages_catalogue(app: Flask) -> None:
    text = i18n.lazy_gettext("Profile")
    with app.test_request_context("/", headers=DE):
        assert str(text) == "Profil"
        with i18n.rendering(Marked()):  # type: ignore[arg-type]
            assert str(text) == "<Profile>"
            assert str(i18n.lazy_gettext("%(n)s x", n=1)) == "<1 x>"
        assert str(text) == "Profil"


def test_a_hosts_macros_are_in_every_pages_context(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    pages = tmp_path / "templates" / "usercore" / "pages"
    pages.mkdir(parents=True)
    (pages / "_macros.html").write_text(
        '{% macro field(f, hint=None) %}<i>{{ f.name }}</i>{% endmacro %}'
        '{% macro form_errors(errors) %}{% endmacro %}'
        '{% macro notice(text) %}{{ text }}{% endmacro %}'
        '{% macro shout(text) %}{{ text | upper }}!{% endmacro %}'
        '{% set product = "not the product" %}')  # a name the page sets itself: the page's
    (pages / "sign-up.html").write_text(
        '{% from "usercore/pages/_macros.html" import field %}{{ field(form.email) }} '
        '{{ shout(_("Sign up")) }}')

    def use_host_templates(app: Flask) -> None:
        app.template_folder = str(tmp_path / "templates")

    client = make_app(pages=True, before_init=use_host_templates).test_client()
    assert client.get("/account/sign-up").text == "<i>email</i> SIGN UP!"
    sign_in = client.get("/account/sign-in").text  # our page, the host's field()
    assert "<i>email</i>" in sign_in and "<i>password</i>" in sign_in
    assert "not the product" not in sign_in
