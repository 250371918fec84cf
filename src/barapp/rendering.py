"""Rendering pages: the per-request template context (language, settings) and the HTML error
pages (400, 404, 500) that keep the app's look instead of Litestar's JSON errors."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from barapp import i18n, sessions
from barapp.bar_settings import bar_of
from barapp.gallery import BadFilter
from barapp.settings import Settings

log = logging.getLogger("barapp")

# A page rendered for an htmx request and for a full load share a URL; without this a browser
# cache could answer a full load with a fragment.
VARY = {"Vary": "HX-Request, Cookie, Accept-Language"}


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def language_of(request: Request[Any, Any, Any]) -> str:
    return i18n.choose_language(
        request.cookies.get(i18n.LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        settings_of(request).default_language,
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    bar = bar_of(request)
    context = {
        **i18n.context_defaults(language_of(request)),
        "bar_name": bar.bar_name,
        "unit_system": bar.unit_system,
        "csrf": sessions.csrf_of(request) if sessions.SCOPE_KEY in request.scope else "",
        "bartender": sessions.bartender_cached(request),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    }
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        headers={**VARY, **(headers or {})},
        media_type="text/html",
    )


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # htmx swaps the answer into part of the page: it gets the explanation, not a whole page.
    partial = request.headers.get("hx-request") and not request.headers.get(
        "hx-history-restore-request"
    )
    template = "_error.html" if partial else "error.html"
    if isinstance(exc, sessions.CSRFRefused):
        # What they typed comes back in a form with a fresh token (never a password).
        kept = {
            k: v for k, v in exc.form.items() if k != sessions.CSRF_FIELD and "password" not in k
        }
        return page(
            request, template, 403, kind="csrf", resubmit_path=request.url.path, resubmit=kept
        )
    if isinstance(exc, NotAuthorizedException):
        if request.method == "GET" and not partial:
            return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
        return page(request, template, 403, kind="bartender_only")
    if isinstance(exc, PermissionDeniedException):
        return page(request, template, 403, kind="forbidden")
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return page(request, template, 413, kind="too_large")
    if isinstance(exc, BadFilter):
        return page(request, template, 400, kind="bad_filter", error=exc)
    if isinstance(exc, NotFoundException):
        return page(request, template, 404, kind="not_found")
    if isinstance(exc, ValidationException):
        return page(request, template, 400, kind="bad_request")
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return page(request, template, exc.status_code, kind="bad_request")
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return page(request, template, 500, kind="server_error")
