"""Languages (docs/languages.md): the pages, the mails and the API's error ``message`` in
the request's language, through Flask-Babel.

Our messages live in their own gettext domain, ``usercore``, so they never mix with the
host's: the catalogues under ``flask_usercore/translations/<language>/LC_MESSAGES/`` come
first, then the host's folders (``USERCORE_TRANSLATION_DIRECTORIES``), whose entries win. A
catalogue is a ``usercore.po`` (compiled in memory the first time a language is used) or a
compiled ``usercore.mo``.

The language is Flask-Babel's :func:`flask_babel.get_locale`: the host's locale selector
when the host runs Flask-Babel with one, else ours, the best match of ``Accept-Language``
among ``USERCORE_LANGUAGES`` (the first is the default). Outside a request (the CLI, a
worker) it is the default. The wire's ``type`` fields never change with the language: only
the human text does.

Templates get ``_`` (:func:`gettext`) and ``ngettext`` of our domain in their context
(:func:`template_context`), whatever the host's Jinja globals hold.

Flask-Babel and Babel are imported, and our Flask-Babel set up, by the first message that
is translated (an error answer, a page, a mail), not by every worker at start: most
requests never need them.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import escape

if TYPE_CHECKING:
    from babel import Locale, support
    from flask_babel import Domain

from .messages import translate_text

#: The gettext domain of the library's messages.
DOMAIN_NAME = "usercore"
#: The library's own catalogues.
TRANSLATIONS = Path(__file__).parent / "translations"
#: ``app.extensions`` key of the languages :func:`install` was given.
_LANGUAGES = "usercore_languages"
#: ``app.extensions`` key of an app's catalogues by locale, and how many it keeps.
_CATALOGUES = "usercore_catalogues"
MAX_CATALOGUES = 64
_lock = threading.Lock()
_domain: Domain | None = None


def _load(folder: Path, locale: Locale) -> support.Translations | None:
    """The catalogue of ``locale`` in ``folder`` (``.mo`` first, else ``.po``), or None."""
    from babel import support
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for name in (str(locale), locale.language):
        base = folder / name / "LC_MESSAGES" / DOMAIN_NAME
        mo, po = base.with_suffix(".mo"), base.with_suffix(".po")
        if mo.is_file():
            with mo.open("rb") as handle:
                return support.Translations(handle, domain=DOMAIN_NAME)
        if po.is_file():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=DOMAIN_NAME)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)  # fuzzy entries are left out, as pybabel compile does
            buffer.seek(0)
            return support.Translations(buffer, domain=DOMAIN_NAME)
    return None


def _folders() -> tuple[str, ...]:
    """Our catalogues' folder, then the current app's (``USERCORE_TRANSLATION_DIRECTORIES``)."""
    state = current_app.extensions.get("usercore")
    extra = tuple(state.config.translation_directories) if state is not None else ()
    return (str(TRANSLATIONS), *extra)


def _make_domain() -> Domain:
    from babel import support
    from flask_babel import Domain, get_locale

    class UserCoreDomain(Domain):  # type: ignore[misc]
        """Flask-Babel's domain of our messages: our catalogues, then the current app's
        folders, cached per folder list and language."""

        @property
        def translation_directories(self) -> list[str]:
            return list(_folders())

        def get_translations(self) -> support.NullTranslations:
            locale = get_locale() if _ready() else None
            if locale is None:
                return support.NullTranslations()
            # an app's catalogues by language (its folders are fixed): no key to build
            known: dict[Locale, support.NullTranslations] = current_app.extensions.setdefault(
                _CATALOGUES, {})
            found = known.get(locale)
            if found is not None:
                return found
            translations = self._merged(locale)
            if len(known) < MAX_CATALOGUES:
                known[locale] = translations
            return translations

        def _merged(self, locale: Locale) -> support.NullTranslations:
            folders = _folders()
            key = (folders, str(locale))
            try:
                return cast(support.NullTranslations, self.cache[key])
            except KeyError:
                pass
            merged = support.Translations(domain=DOMAIN_NAME)
            for folder in folders:  # later folders (the host's) override earlier ones
                catalogue = _load(Path(folder), locale)
                if catalogue is not None:
                    merged.merge(catalogue)
                    merged.plural = catalogue.plural
            self.cache[key] = merged
            return merged

    return UserCoreDomain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN_NAME)


def domain() -> Domain:
    """The one Flask-Babel domain object of the library's messages."""
    global _domain
    if _domain is None:
        with _lock:
            if _domain is None:
                _domain = _make_domain()
    return _domain


def _ready() -> bool:
    """Flask-Babel answers on the current app: the host's, or ours set up now (the first
    translation of the app); False outside an app context (the default language)."""
    try:
        extensions = current_app.extensions
    except RuntimeError:
        return False
    if "babel" not in extensions:
        languages = extensions.get(_LANGUAGES)
        if languages is None:
            return False
        _set_up(current_app._get_current_object(), languages)  # type: ignore[attr-defined]
    return True


def _translations() -> support.NullTranslations:
    """Our domain's translations of the current language, looked up once per request.

    Flask-Babel keeps the request's locale in ``g._flask_babel.babel_locale``; the
    translations found for that locale object are kept beside it, so the messages of a
    page after the first cost a dictionary look-up each. A different locale (Flask-Babel's
    ``force_locale``, ``refresh``) is a different object: looked up again. Outside a request
    (or before the first message of one) the domain answers, as Flask-Babel does.
    """
    try:
        babel = g._flask_babel
        locale = babel.babel_locale
        known = babel.usercore_translations
    except (AttributeError, RuntimeError):  # no app context, or no locale or cache yet
        pass
    else:
        if known[0] is locale:
            return cast("support.NullTranslations", known[1])
    translations = domain().get_translations()
    try:
        babel = g._flask_babel
        locale = babel.babel_locale
        babel.usercore_translations = (locale, translations, _html_language(locale))
    except (AttributeError, RuntimeError):
        pass
    return cast("support.NullTranslations", translations)


def _html_language(locale: Locale | None) -> str:
    return str(locale).replace("_", "-") if locale is not None else "en"


def page_language() -> tuple[support.NullTranslations, str]:
    """The catalogue of the language now in force and its HTML ``lang`` value (``de``,
    ``pt-BR``): what a page needs, looked up once per request."""
    translations = _translations()
    try:
        known = g._flask_babel.usercore_translations
    except (AttributeError, RuntimeError):
        return translations, current_language()
    return translations, known[2] if known[1] is translations else current_language()


def gettext(text: str, **variables: Any) -> str:
    """``text`` in the current language, with ``%(name)s`` placeholders filled in."""
    text = _translations().ugettext(text)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural of a message with ``%(num)d``, in the current language."""
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    return text % variables


class LazyText:
    """A message translated each time it is used as text (:func:`lazy_gettext`): a form's
    label, built at import, shown in each request's language. It imports nothing until
    then (unlike Flask-Babel's ``LazyString``, whose module would load at start)."""

    __slots__ = ("text", "variables")

    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.text, self.variables = text, variables

    def __str__(self) -> str:
        translations = _rendering.get()
        if translations is None:
            return gettext(self.text, **self.variables)
        text = translations.ugettext(self.text)
        return text % self.variables if self.variables else text

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"LazyText({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyText) else other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, values: Any) -> str:
        return cast(str, str(self) % values)

    def __getattr__(self, name: str) -> Any:  # the str methods (.strip(), .format(), ...)
        return getattr(str(self), name)


#: The catalogue of the page being rendered (:func:`rendering`), else None.
_rendering: ContextVar[support.NullTranslations | None] = ContextVar("usercore_rendering",
                                                                    default=None)


@contextmanager
def rendering(translations: support.NullTranslations) -> Iterator[None]:
    """In the block (a page's template rendered in one language), a :class:`LazyText` (a
    form's label) is translated by ``translations`` without looking the language up."""
    token = rendering_with(translations)
    try:
        yield
    finally:
        rendering_done(token)


def rendering_with(translations: support.NullTranslations) -> Token[Any]:
    """:func:`rendering` without a ``with`` block: from now on; hand the token returned to
    :func:`rendering_done` (in a ``finally``)."""
    return _rendering.set(translations)


def rendering_done(token: Token[Any]) -> None:
    """End what :func:`rendering_with` began."""
    _rendering.reset(token)


def lazy_gettext(text: str, **variables: Any) -> str:
    """:func:`gettext` when the string is used (a form's label, built at import): a
    :class:`LazyText`, typed as the text it stands for."""
    return LazyText(text, variables)  # type: ignore[return-value]


_ = gettext


def translated(message: str) -> str:
    """An error's message (:class:`~flask_usercore.messages.Message`) in the current
    language; any other text as it is."""
    return translate_text(message, gettext)


def current_locale() -> str | None:
    """The current language's locale name (``de``), to carry into work done after the
    request (:func:`speaking`); None outside an app."""
    if not _ready():
        return None
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale is not None else None


@contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Translate into ``locale`` in the block (an app context without the request whose
    language it was: the mail of work done after the response)."""
    if locale is None or not _ready():
        yield
        return
    from flask_babel import force_locale

    with force_locale(locale):
        yield


def template_context(translations: support.NullTranslations | None = None,
                     language: str | None = None) -> dict[str, Any]:
    """What our templates get besides their own context: ``_``, ``gettext``, ``ngettext``
    of our domain, and ``lang``, the page's language (``<html lang>``).

    ``_`` and ``gettext`` are bound to ``translations`` (default: those of the language now
    in force; a template is rendered in one language): a page's dozens of strings are each
    one catalogue look-up. ``language`` is ``lang`` (default :func:`current_language`)."""
    if translations is None:
        translations = _translations()

    def page_gettext(text: str, **variables: Any) -> str:
        text = translations.ugettext(text)
        return text % variables if variables else text

    return {"_": page_gettext, "gettext": page_gettext, "ngettext": ngettext,
            "lang": language or current_language()}


def current_language() -> str:
    """The language of this request as an HTML ``lang`` value (``de``, ``pt-BR``)."""
    if not _ready():
        return "en"
    from flask_babel import get_locale

    return _html_language(get_locale())


def install(app: Flask, languages: tuple[str, ...]) -> None:
    """Let Flask-Babel answer ``get_locale()`` on ``app`` from the first translation on:
    the host's Babel when it runs one by then (its selector decides), else one of ours
    choosing from ``languages`` by ``Accept-Language`` (:func:`_set_up`)."""
    app.extensions[_LANGUAGES] = languages


#: The ``Accept-Language`` values whose choice our selector keeps (per app).
MAX_CHOICES = 256


def _set_up(app: Flask, languages: tuple[str, ...]) -> None:
    from babel import Locale
    from flask_babel import Babel

    default = Locale.parse(languages[0])
    locales = {language: Locale.parse(language) for language in languages}
    # the choice of each Accept-Language value seen, as a parsed Locale: a browser sends
    # the same value on every request (bounded: values beyond MAX_CHOICES are chosen anew)
    choices: dict[str, Locale] = {}

    def select() -> Locale:
        if not has_request_context():
            return default
        header = request.headers.get("Accept-Language", "")
        choice = choices.get(header)
        if choice is None:
            best = request.accept_languages.best_match(languages, default=languages[0])
            choice = locales.get(best or languages[0], default)
            if len(choices) < MAX_CHOICES:
                choices[header] = choice
        return choice

    with _lock:
        if "babel" not in app.extensions:
            Babel(app, locale_selector=select, default_locale=languages[0],
                  configure_jinja=False)
