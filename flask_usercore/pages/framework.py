"""How an account page is declared and run: the pages' counterpart of ``web/operation.py``.

A page view is declared with :meth:`PagesBlueprint.page`: its rule, methods, whether the
visitor must be signed in, its form, its template, the rate limit group of the API
operation it shares a rule with. The wrapper it installs does, in order: start the unit of
work, find the visitor (the ``x-access-token`` cookie; not signed in: a 303 to the sign-in
page with ``next``), rate limit, on a POST validate the form (Flask-WTF: its CSRF token
too), call the view, and end the unit of work once: a commit when the answer is below 400,
a rollback otherwise. A service's :class:`~flask_usercore.errors.UserCoreError` rolls back
and shows the form again, its message next to the field it names (``errors[].field``,
the command's field name, is the form field of the same name) or above the form, with
the error's status. Nothing is half-written.

Every answer carries a strict Content-Security-Policy (no inline script or style; our one
style sheet; script only from ``'self'`` on the pages that declare ``script=True``, the
passkey ceremony), ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``, and
``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from marshmallow import Schema
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..errors import RateLimited, ServiceUnavailable, UserCoreError, ValidationFailed
from ..runtime.outage import OUTAGE, RETRY_AFTER, connection_error
from ..runtime.unit_of_work import RunMode
from ..schemas.base import load
from ..services.access import SESSION_ONLY
from ..services.context import Auth, Deps
from ..state import usercore_state
from ..web.authenticator import authenticate
from ..web.handlers import from_http, log_unhandled
from .compiled import page_macros, page_template
from .rendering import page_links, url_binding

F = TypeVar("F", bound=Callable[..., Any])
#: Where our page templates live, below a templates folder.
TEMPLATE_DIR = "usercore/pages"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a page view gets: the visitor's session (None on the pages for visitors) and,
    on a POST whose form validated, the form."""

    auth: Auth | None
    form: Any

    @property
    def user(self) -> Any:
        """The signed-in user (a page that requires sign-in only)."""
        return cast(Auth, self.auth).user


class FormRefused(Exception):
    """Raised by a view to show its form again with ``message`` on ``field`` (or above
    the form) and ``status``, the unit of work rolled back."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def deps() -> Deps:
    """The services' collaborators of the current app."""
    return usercore_state().deps


def security_headers(*, script: bool = False,
                     form_targets: tuple[str, ...] = ()) -> dict[str, str]:
    """The pages' headers: CSP without inline code (script of our origin with ``script``),
    forms sent to this site (and to ``form_targets``: the origins a form's answer may
    redirect to), no framing, no referrer, no caching."""
    scripts = "script-src 'self'; connect-src 'self'; " if script else ""
    forms = " ".join(("'self'", *form_targets))
    return {"Content-Security-Policy": (
                f"default-src 'none'; {scripts}style-src 'self'; img-src 'self' data:; "
                f"form-action {forms}; frame-ancestors 'none'; base-uri 'none'"),
            "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


#: ``app.extensions`` key of an app's page headers, without and with script.
_HEADERS = "usercore_page_headers"
#: ``app.extensions`` key of the helpers whose names every page gets
#: (:meth:`PagesBlueprint.page_context`).
_CONTEXTS = "usercore_page_contexts"


def page_headers(app: Flask, script: bool) -> dict[str, str]:
    """:func:`security_headers` of ``app``'s pages, made once per app. The buttons "Sign in
    with ..." and "Link ..." are forms whose answer redirects to the provider: a browser
    follows it only when ``form-action`` names the provider's origin (that of its
    ``issuer``: its authorization endpoint must be there too)."""
    made: dict[bool, dict[str, str]] | None = app.extensions.get(_HEADERS)
    if made is None:
        providers = usercore_state(app).config.providers.values()
        targets = tuple(sorted({_origin(each.issuer) for each in providers}))
        made = {each: security_headers(script=each, form_targets=targets)
                for each in (False, True)}
        app.extensions[_HEADERS] = made
    return made[script]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def render(template: str, *, status: int = 200, script: bool = False,
           **context: Any) -> Response:
    """``usercore/pages/<template>`` rendered with ``context``, our domain's ``_`` and the
    page headers; the template compiled for the page's language
    (:func:`~flask_usercore.pages.compiled.page_template`)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    translations, language = i18n.page_language()
    binding = url_binding(app)
    page = page_template(app, f"{TEMPLATE_DIR}/{template}", language, translations, binding)
    values = page_macros(app, page)  # what the page gives wins over the helpers' names
    for helpers in app.extensions.get(_CONTEXTS, ()):
        values.update(helpers())
    values.update(i18n.template_context(translations, language),
                  product=usercore_state(app).config.mfa_issuer, url_for=page_links(binding),
                  auth=getattr(request, "usercore_page_auth", None))
    values.update(context)
    token = i18n.rendering_with(translations)
    try:
        html = render_template(page, **values)
    finally:
        i18n.rendering_done(token)
    return app.response_class(html, status=status, headers=page_headers(app, script),
                              mimetype="text/html")


def go(endpoint: str, **values: Any) -> Response:
    """A 303 to the page ``endpoint`` (``.profile``, ``usercore_pages.sign_in``)."""
    return cast(Response, redirect(url_for(endpoint, **values), 303))


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path of this site (``/account/...``), else ``default``: a
    ``next`` parameter never sends the visitor elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def refuse_on_form(form: FlaskForm, exc: UserCoreError | FormRefused) -> list[str]:
    """Put ``exc`` next to its form field; what names no field of ``form`` is returned,
    to be shown above the form."""
    general: list[str] = []
    if isinstance(exc, FormRefused):
        items = [(exc.field, exc.message)]
    elif isinstance(exc, ValidationFailed) and exc.errors:
        items = [(_form_field(form, error.field, error.path), error.message)
                 for error in exc.errors]
    else:
        items = [(None, exc.message)]
    for name, text in items:
        message = i18n.translated(text)
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            general.append(message)
    return general


def _form_field(form: FlaskForm, field: str | None, path: str) -> str | None:
    """The form field an error is about: the command's field (``first_name``), its wire
    name (``firstName``: forms name their fields as the API's bodies do), or the last
    part of the error's wire path (``.person.firstName``)."""
    candidates = []
    if field:
        head, *rest = field.split("_")
        candidates += [field, head + "".join(part.title() for part in rest)]
    if path:
        candidates.append(path.rsplit(".", 1)[-1])
    return next((name for name in candidates if name in form._fields), None)


def load_form(schema: type[Schema], data: dict[str, Any]) -> Any:
    """The command the API's ``schema`` loads from ``data`` (the form's values under their
    wire names): the same input rules as the API's, never a copy. Its errors name the
    form's fields (:func:`refuse_on_form`)."""
    return load(schema(), data)


def error_page(exc: Exception) -> Response | HTTPException:
    """The pages' one error handler: what no page turned into its form again becomes the
    error page (``error.html``) with the error's status, headers and message in the page's
    language, the unit of work rolled back. A lost database connection is a 503 with
    ``Retry-After`` (logged once per outage), anything unexpected a logged 500 that shows
    nothing of it, as the API's JSON handler does."""
    try:
        deps().uow.rollback()
    except Exception as failed:  # the connection is gone: nothing left to roll back
        if connection_error(failed) is None:
            raise
    if isinstance(exc, UserCoreError):
        error = exc
    elif isinstance(exc, HTTPException):
        if exc.response is not None or (exc.code is not None and exc.code < 400):
            return exc
        error = from_http(exc)
    elif (lost := connection_error(exc)) is not None:
        OUTAGE.seen(lost)
        error = ServiceUnavailable(RETRY_AFTER)
    else:
        log_unhandled(exc)
        error = UserCoreError()
    response = render("error.html", status=error.status, message=i18n.translated(error.message))
    response.headers.update(error.headers())
    return response


class PagesBlueprint(Blueprint):
    """A blueprint whose views are declared with :meth:`page`; its errors become the
    error page (:func:`error_page`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register_error_handler(Exception, error_page)
        # Flask gives every blueprint its default context processor (request, session, g),
        # which the app runs for every template already: once is enough
        self.template_context_processors[None] = []
        self.page_contexts: list[Callable[[], dict[str, Any]]] = []
        self.record(self._install_contexts)

    def page_context(self, helpers: Callable[[], dict[str, Any]]) -> None:
        """Add what ``helpers()`` returns to the context of every page (as a context
        processor would, without one more of Flask's processors per template)."""
        self.page_contexts.append(helpers)

    def _install_contexts(self, setup: Any) -> None:
        setup.app.extensions[_CONTEXTS] = tuple(self.page_contexts)

    def page(self, rule: str, *, endpoint: str | None = None,
             methods: tuple[str, ...] = ("GET",), signed_in: bool = True,
             form: type[FlaskForm] | None = None, template: str | None = None,
             rate_limit_group: str | None = None, script: bool = False,
             context: Callable[[PageRequest], dict[str, Any]] | None = None,
             ) -> Callable[[F], F]:
        """Declare ``view`` as the page ``rule``.

        ``signed_in``: only for a signed-in visitor (else a 303 to the sign-in page).
        ``form`` and ``template``: on GET the template is shown with a new form (and what
        ``context(page)`` adds); on POST the form is validated, and the view runs only when
        it is valid: it returns a response (a redirect: :func:`go`), or None to show the
        template again. Invalid input, a :class:`FormRefused` or a service's error show the
        template again with the errors (400, or the error's status), rolled back. A page
        without ``form`` is a view that returns its own response.
        """
        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(**kwargs: Any) -> Response:
                state = usercore_state()
                uow = state.deps.uow
                writes = request.method == "POST"
                uow.start(RunMode.WRITE if writes else RunMode.READ)
                try:
                    auth = authenticate(SESSION_ONLY, mode="page")
                    request.usercore_page_auth = auth  # type: ignore[attr-defined]
                    if signed_in and auth is None:
                        uow.end_read()
                        return go("usercore_pages.sign_in", next=request.full_path.rstrip("?"))
                    try:  # after finding the visitor: the refused page shows their context
                        if writes and rate_limit_group:
                            state.limiter.hit(rate_limit_group, request.remote_addr or "")
                    except RateLimited as exc:
                        response = _refused_page(form, template, context, auth, exc, script)
                    else:
                        response = _run(view, kwargs, auth, form, template, context, writes,
                                        script)
                    if response.status_code >= 400 or not writes:
                        uow.rollback() if response.status_code >= 400 else uow.end_read()
                    else:
                        uow.commit()
                except BaseException:
                    uow.rollback()
                    raise
                return response

            self.add_url_rule(rule, endpoint or view.__name__, wrapped, methods=list(methods))
            return cast(F, wrapped)

        return decorator


def _run(view: Callable[..., Any], kwargs: dict[str, Any], auth: Auth | None,
         form_class: type[FlaskForm] | None, template: str | None,
         context: Callable[[PageRequest], dict[str, Any]] | None, writes: bool,
         script: bool) -> Response:
    if form_class is None:
        return cast(Response, view(PageRequest(auth, None), **kwargs))
    form = form_class()
    page = PageRequest(auth, form)
    general: list[str] = []
    status, headers = 200, {}
    if writes:
        if form.validate_on_submit():
            try:
                result = view(page, **kwargs)
            except (UserCoreError, FormRefused) as exc:
                deps().uow.rollback()
                general = refuse_on_form(form, exc)
                status = exc.status
                if isinstance(exc, RateLimited):  # a service's limit (the mail throttle)
                    headers = exc.headers()
            else:
                if result is not None:
                    return cast(Response, result)
        else:
            status = 400
            if form.errors.get("csrf_token"):
                general.append(i18n.gettext(
                    "The form expired or did not come from this site: please send it again."))
    extra = context(page) if context is not None else {}
    response = render(cast(str, template), status=status, script=script, form=form,
                      errors=general, **extra)
    response.headers.update(headers)
    return response


def _refused_page(form_class: type[FlaskForm] | None, template: str | None,
                  context: Callable[[PageRequest], dict[str, Any]] | None,
                  auth: Auth | None, exc: UserCoreError, script: bool) -> Response:
    """A rate-limited POST: the form again with the limit's message, nothing run."""
    if form_class is None or template is None:
        response = render("error.html", status=exc.status, message=i18n.translated(exc.message))
    else:
        form = form_class()
        extra = context(PageRequest(auth, form)) if context is not None else {}
        response = render(template, status=exc.status, script=script, form=form,
                          errors=[i18n.translated(exc.message)], **extra)
    for name, value in exc.headers().items():
        response.headers[name] = value
    return response
