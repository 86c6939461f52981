"""The page templates compiled once per language, their constant messages translated then.

A page's template says ``{{ _("Profile") }}`` a dozen times and more; each was a call of our
gettext for every page shown. The pages are rendered instead through an overlay of the
app's Jinja environment per language (:func:`page_template`): when that environment
compiles one of our templates (a name under ``usercore/``, the host's overrides included),
:class:`ConstantMessages` replaces every ``_("literal")`` (one string, nothing else) by
its translation, so the compiled template holds the translated text and shows it as it
shows any other text (escaped the same way). ``_`` with placeholders
(``_("%(n)d codes", n=...)``), ``_(variable)`` and ``gettext``/``ngettext`` stay calls,
answered by the context's ``_`` as before.

The result is the page that calling ``_`` gives: the translations of a language are loaded
once per app and kept (:func:`flask_usercore.i18n.page_language`), so a translation
cannot change under a compiled template. Each overlay shares the app environment's loader,
globals, filters and tests (what the host adds later too) and has its own cache of
compiled templates. At most :data:`MAX_LANGUAGES` languages are kept per app; a page in
yet another language is rendered by the app's own environment, its messages translated
when shown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol

from flask import Flask
from jinja2 import Environment, Template
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_DOT,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)

#: ``app.extensions`` key of an app's environments, by language.
_ENVIRONMENTS = "usercore_page_environments"
#: The languages whose compiled pages an app keeps.
MAX_LANGUAGES = 32
#: The templates whose constant messages are translated when compiled.
PREFIX = "usercore/"
#: The pages' form helpers (``field``, ``form_errors``, ``notice``), in every page's context.
MACROS = "usercore/pages/_macros.html"
#: Where a compiled :data:`MACROS` module keeps what it exports.
_EXPORTED = "_usercore_exported"
_lock = threading.Lock()


class Translations(Protocol):
    """What a language's catalogue answers (``gettext.NullTranslations``)."""

    def ugettext(self, message: str) -> str: ...


class ConstantMessages(Extension):
    """Replace ``_("literal")`` by the literal's translation in the templates under
    :data:`PREFIX`, as they are compiled by an environment of one language (its
    ``usercore_translations``)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translations: Translations | None = getattr(self.environment,
                                                    "usercore_translations", None)
        if translations is None or not (stream.name or "").startswith(PREFIX):
            yield from stream
            return
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if (token.type == TOKEN_NAME and token.value == "_"
                    and (i == 0 or tokens[i - 1].type != TOKEN_DOT)
                    and [t.type for t in tokens[i + 1:i + 4]]
                    == [TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN]):
                text = translations.ugettext(tokens[i + 2].value)
                yield Token(token.lineno, TOKEN_STRING, text)
                i += 4
                continue
            yield token
            i += 1


def page_template(app: Flask, name: str, language: str,
                  translations: Translations) -> Template | str:
    """The template ``name`` compiled for ``language`` (whose catalogue is
    ``translations``), or ``name`` itself when the app keeps that many languages already
    (the app's environment then renders it)."""
    environments: dict[str, Environment] = app.extensions.setdefault(_ENVIRONMENTS, {})
    environment = environments.get(language)
    if environment is None:
        with _lock:
            environment = environments.get(language)
            if environment is None:
                if len(environments) >= MAX_LANGUAGES:
                    return name
                environment = _overlay(app.jinja_env, translations)
                environments[language] = environment
    return environment.get_template(name)


def _overlay(base: Environment, translations: Translations) -> Environment:
    """An overlay of ``base`` with its own template cache that compiles our templates with
    ``translations``."""
    cache: Any = base.cache
    cache_size = -1 if isinstance(cache, dict) else 0 if cache is None else cache.capacity
    environment = base.overlay(extensions=[ConstantMessages], cache_size=cache_size)
    environment.usercore_translations = translations  # type: ignore[attr-defined]
    return environment


def page_macros(app: Flask, page: Template | str) -> dict[str, Any]:
    """What :data:`MACROS` exports (``field``, ``form_errors``, ``notice``, and what a
    host's own ``_macros.html`` adds), from the environment that compiled ``page``: every
    page gets them in its context, imported once per language instead of once a page."""
    environment = page.environment if isinstance(page, Template) else app.jinja_env
    module = environment.get_template(MACROS).module
    exported: dict[str, Any] | None = module.__dict__.get(_EXPORTED)
    if exported is None:  # once per compiled module (a reloaded template is a new one)
        exported = {name: value for name, value in vars(module).items()
                    if not name.startswith("_")}
        setattr(module, _EXPORTED, exported)
    return dict(exported)
