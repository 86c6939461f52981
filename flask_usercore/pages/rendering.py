"""Form fields written as WTForms writes them, faster: the pages' ``field()`` macro
(``usercore/pages/_macros.html``) renders inputs and labels through these.

WTForms builds every attribute with ``Markup.format`` (``wtforms.widgets.html_params``),
about 7 µs an attribute: the inputs and labels of a form were more than half of a page's
render time (benchmarks/README.md, "Account pages"). :func:`html_params` gives the same
output with plain string formatting. A field whose widget is a stock WTForms
:class:`~wtforms.widgets.Input` (text, e-mail, password, hidden, checkbox, ...) is rendered
by a copy of its widget using it; any other widget, a widget with its own
``html_params`` or a form with its own ``Meta.render_field`` is rendered by WTForms itself.
The markup is the same either way (tests/pages/test_page_markup.py compares every field of
every form).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, current_app, url_for
from flask.globals import request_ctx
from markupsafe import Markup, escape
from wtforms.fields import Field
from wtforms.fields.core import Flags
from wtforms.meta import DefaultMeta
from wtforms.widgets import Input
from wtforms.widgets.core import clean_key  # type: ignore[attr-defined]
from wtforms.widgets.core import html_params as wtforms_html_params

from ..i18n import LazyText

_fast_widgets: dict[int, tuple[Any, Any]] = {}
_lock = threading.Lock()
#: Widgets are class attributes of the fields (a few dozen); more are forgotten at once.
_MAX_WIDGETS = 512
#: The escaped attribute names (``class_`` -> ``class``, ``data_x`` -> ``data-x``), by key.
_NAMES: dict[str, str] = {}
_MAX_NAMES = 512
#: The attributes the code writes (``id="firstName"``, ``maxlength="120"``: every one but
#: ``value``), written once each; beyond this many, written every time.
_PAIRS: dict[tuple[str, Any], str] = {}
_MAX_PAIRS = 4096


def html_params(**kwargs: Any) -> Markup:
    """``wtforms.widgets.html_params``: the same attributes, sorted, ``True`` as a bare
    name, ``False`` left out, values escaped (``"`` too)."""
    return Markup(_attributes(kwargs))  # noqa: S704 - every name and value escaped


def _attributes(attributes: dict[str, Any]) -> str:
    """:func:`html_params` as a plain string (every name and value escaped)."""
    params = []
    for key in sorted(attributes):
        value = attributes[key]
        kind = type(value)
        if key != "value" and (kind is str or kind is int):  # written by the code
            pair = _PAIRS.get((key, value))
            if pair is None:
                pair = _pair(key, value)
                if len(_PAIRS) < _MAX_PAIRS:
                    _PAIRS[key, value] = pair
            params.append(pair)
        elif value is True:
            params.append(_name(key))
        elif value is not False:
            params.append(_pair(key, value))
    return " ".join(params)


def _name(key: str) -> str:
    """The attribute's name: ``class_`` -> ``class``, ``data_x`` -> ``data-x``, escaped."""
    name = _NAMES.get(key)
    if name is None:
        name = str(escape(clean_key(key)))
        if len(_NAMES) < _MAX_NAMES:  # attribute names come from the code: a few dozen
            _NAMES[key] = name
    return name


def _pair(key: str, value: Any) -> str:
    """``name="value"``, both escaped (``"`` in the value too)."""
    text = str(escape(value))
    if type(value) is not str:  # escape() leaves no '"' in a str; in markup it may
        text = text.replace('"', "&quot;")
    return f'{_name(key)}="{text}"'


def _fast_widget(widget: Any) -> Any:
    """A copy of ``widget`` writing its attributes with :func:`html_params`, or None when
    WTForms must render it itself."""
    known = _fast_widgets.get(id(widget))
    if known is not None and known[0] is widget:
        return known[1]
    fast = None
    if isinstance(widget, Input) and type(widget).html_params is wtforms_html_params:
        fast = copy.copy(widget)
        fast.html_params = html_params  # type: ignore[method-assign]
    with _lock:
        if len(_fast_widgets) >= _MAX_WIDGETS:  # widgets made per request: never a leak
            _fast_widgets.clear()
        _fast_widgets[id(widget)] = (widget, fast)  # the widget held: its id stays its own
    return fast


def render_input(field: Field, **kwargs: Any) -> Markup:
    """``field(**kwargs)``: the field's HTML, by :func:`html_params` when it can."""
    widget = field.widget
    fast = _fast_widget(widget)
    if fast is None or type(field.meta).render_field is not DefaultMeta.render_field:
        return field(**kwargs)
    extra = getattr(field, "render_kw", None)  # as DefaultMeta.render_field merges it
    attributes = dict(extra, **kwargs) if extra else kwargs
    if type(widget).__call__ is Input.__call__ and "name" not in attributes:
        return _input(cast(Input, widget), field, attributes)
    return cast(Markup, fast(field, **attributes))


def _input(widget: Input, field: Field, attributes: dict[str, Any]) -> Markup:
    """What ``Input.__call__`` writes, without its ``dir()`` of the field's flags."""
    attributes.setdefault("id", field.id)
    attributes.setdefault("type", widget.input_type)
    if "value" not in attributes:
        attributes["value"] = field._value()  # type: ignore[attr-defined]
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in attributes:
        attributes["list"] = datalist if isinstance(datalist, str) else datalist.id
    flags = getattr(field, "flags", {})
    # dir(flags) of a plain Flags: its own attributes (the class adds only methods)
    names = flags.__dict__ if type(flags) is Flags else dir(flags)
    for key in widget.validation_attrs:
        if key in names and key not in attributes:
            value = getattr(flags, key)
            attributes[key] = value() if callable(value) else value
    attributes["name"] = field.name
    return Markup(f"<input {_attributes(attributes)}>")  # noqa: S704 - escaped


def render_label(field: Field) -> Markup:
    """``field.label``: ``<label for="id">text</label>``."""
    label = field.label
    text: Any = label.text
    if type(text) is LazyText:  # a label of ours: its text, once (its __html__ escapes it)
        text = str(text)
    attributes, text = _attributes({"for_": label.field_id}), escape(text)
    return Markup(f"<label {attributes}>{text}</label>")  # noqa: S704 - both escaped


def render_field(field: Field, hint: Any = None) -> Markup:
    """The ``field()`` macro of ``usercore/pages/_macros.html``: the field with its label,
    its ``hint`` and its errors, tied to it by ``aria-describedby`` (and ``aria-invalid``).

    The markup the macro wrote in Jinja (tests/pages/test_page_markup.py keeps that macro and
    compares), in one call instead of a dozen template expressions a field.
    """
    errors = field.errors
    ident = escape(field.id)
    described = ([f"{field.id}-hint"] if hint else []) + \
        ([f"{field.id}-error"] if errors else [])
    parts = ['<div class="field invalid">' if errors else '<div class="field">']
    if field.type == "BooleanField":
        extra = {"aria-describedby": " ".join(described)} if described else {}
        parts.append(f"\n  {render_input(field, **extra)} {render_label(field)}")
    else:
        parts.append(f"\n  {render_label(field)}")
        if hint:
            parts.append(f'<p class="hint" id="{ident}-hint">{escape(hint)}</p>')
        if errors:
            extra = {"aria-describedby": " ".join(described), "aria-invalid": "true"}
        else:
            extra = {"aria-describedby": " ".join(described)} if described else {}
        required = field.flags.required is True
        parts.append(f"\n  {render_input(field, required=required, **extra)}")
    if errors:
        texts = " ".join(str(escape(error)) for error in errors)
        parts.append(f'\n  <p class="error" id="{ident}-error">{texts}</p>')
    parts.append("\n</div>")
    return Markup("".join(parts))  # noqa: S704 - every value escaped above


def render_errors(errors: Any) -> Markup:
    """The ``form_errors()`` macro of ``usercore/pages/_macros.html``: the errors that name
    no field, one paragraph each, in a ``div.alert`` with role ``alert``; nothing without
    errors (the markup the Jinja macro wrote: tests/pages/test_page_markup.py compares)."""
    if not errors:
        return Markup("")
    texts = "".join(f"<p>{escape(error)}</p>" for error in errors)
    return Markup(f'\n<div class="alert" role="alert" id="form-errors">{texts}\n</div>')  # noqa: S704 - escaped


#: ``app.extensions`` key of an app's page links (:func:`page_links`).
_LINKS = "usercore_page_links"
#: The request bindings (host, script root, scheme, subdomain) whose links an app keeps.
MAX_BINDINGS = 64
#: The links kept per binding (endpoints and their arguments).
MAX_LINKS = 256




def url_binding(app: Flask) -> tuple[Any, ...] | None:
    """What the URLs ``url_for`` builds in this request depend on (host, script root,
    scheme, subdomain), or None when they may depend on more (the app has ``url_defaults``
    functions) or there is no request."""
    adapter = request_ctx.url_adapter if request_ctx else None
    if adapter is None or any(app.url_default_functions.values()):
        return None
    return (adapter.server_name, adapter.script_name, adapter.url_scheme, adapter.subdomain)


def page_links(binding: tuple[Any, ...] | None = None) -> Callable[..., str]:
    """The ``url_for`` of a page's template: Flask's ``url_for``, its answers kept per app.

    A page's layout links to a dozen pages. For an endpoint named in full, with string
    arguments only (``url_for('usercore_pages.static', filename='pages.css')``), the URL is
    kept for the request's URL binding (host, script root, scheme and subdomain): an app's
    URL rules cannot change once it serves requests. Nothing is kept while the app has
    ``url_defaults`` functions (they may add arguments from the request), nor for an
    endpoint relative to the current blueprint (``.profile``); ``_external``, ``_anchor``
    and the like go to ``url_for`` every time.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if binding is None:
        binding = url_binding(app)
    if binding is None:
        return url_for
    bindings: dict[Any, Callable[..., str]] = app.extensions.setdefault(_LINKS, {})
    known = bindings.get(binding)
    if known is not None:
        return known
    links: dict[Any, str] = {}

    def link(endpoint: str, **values: Any) -> str:
        key: Any = (endpoint, *sorted(values.items())) if values else endpoint
        url = links.get(key)
        if url is None:
            url = url_for(endpoint, **values)
            if not endpoint.startswith(".") and len(links) < MAX_LINKS and all(
                    type(value) is str and not name.startswith("_")
                    for name, value in values.items()):
                links[key] = url
        return url

    if len(bindings) < MAX_BINDINGS:
        bindings[binding] = link
    return link
