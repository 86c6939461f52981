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
compiled templates.

The same environment is also one request binding's (host, script root, scheme, subdomain:
:func:`~flask_usercore.pages.rendering.url_binding`) when the app has no ``url_defaults``
functions: then each ``url_for("endpoint")`` of our templates (one string, no arguments;
the navigation's links, a form's action) is compiled in as its URL too, as ``url_for``
answers it for that binding (an app's URL rules cannot change once it serves requests).
At most :data:`MAX_ENVIRONMENTS` environments are kept per app; a page past them is
rendered by the app's own environment, its messages and links made when shown.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from typing import Any, Protocol

from flask import Flask, url_for
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
#: The environments (languages times request bindings) whose compiled pages an app keeps.
MAX_ENVIRONMENTS = 32
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
    ``usercore_translations``); and, in an environment of one request binding
    (``usercore_links``), ``url_for("endpoint")`` (one string, no arguments) by its URL."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translations: Translations | None = getattr(self.environment,
                                                    "usercore_translations", None)
        if translations is None or not (stream.name or "").startswith(PREFIX):
            yield from stream
            return
        links = bool(getattr(self.environment, "usercore_links", False))
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if (token.type == TOKEN_NAME and token.value in ("_", "url_for")
                    and (i == 0 or tokens[i - 1].type != TOKEN_DOT)
                    and [t.type for t in tokens[i + 1:i + 4]]
                    == [TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN]):
                argument = tokens[i + 2].value
                text = (translations.ugettext(argument) if token.value == "_"
                        else _url(argument) if links else None)
                if text is not None:
                    yield Token(token.lineno, TOKEN_STRING, text)
                    i += 4
                    continue
            yield token
            i += 1


def _url(endpoint: str) -> str | None:
    """``url_for(endpoint)`` of the current request, or None when it has none (a relative
    endpoint, no request, an endpoint that needs arguments): left to the page."""
    if endpoint.startswith("."):
        return None
    try:
        return url_for(endpoint)
    except Exception:  # BuildError, no request context: url_for answers when shown
        return None


def page_template(app: Flask, name: str, language: str, translations: Translations,
                  binding: Hashable | None = None) -> Template | str:
    """The template ``name`` compiled for ``language`` (whose catalogue is
    ``translations``) and, when given, the request ``binding``
    (:func:`~flask_usercore.pages.rendering.url_binding`: its links are compiled in too),
    or ``name`` itself when the app keeps that many environments already (the app's
    environment then renders it)."""
    environments: dict[Hashable, Environment] = app.extensions.setdefault(_ENVIRONMENTS, {})
    key = (language, binding)
    environment = environments.get(key)
    if environment is None:
        with _lock:
            environment = environments.get(key)
            if environment is None:
                if len(environments) >= MAX_ENVIRONMENTS:
                    return name
                environment = _overlay(app.jinja_env, translations, binding is not None)
                environments[key] = environment
    return environment.get_template(name)


def _overlay(base: Environment, translations: Translations, links: bool) -> Environment:
    """An overlay of ``base`` with its own template cache that compiles our templates with
    ``translations`` (and their links, with ``links``)."""
    cache: Any = base.cache
    cache_size = -1 if isinstance(cache, dict) else 0 if cache is None else cache.capacity
    environment = base.overlay(extensions=[ConstantMessages], cache_size=cache_size)
    environment.usercore_translations = translations  # type: ignore[attr-defined]
    environment.usercore_links = links  # type: ignore[attr-defined]
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
