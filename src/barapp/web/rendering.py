"""Rendering pages: one template context for every page, fragment and live event (language,
the bar's name and unit system, the bartender, the CSRF token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.response import Template

from barapp.web import i18n, sessions
from barapp.web.dependencies import bar_of, settings_of

# A page rendered for an htmx request and for a full load share a URL; without this a browser
# cache could answer a full load with a fragment.
VARY = {"Vary": "HX-Request, Cookie, Accept-Language"}


def language_of(request: Request[Any, Any, Any]) -> str:
    return i18n.choose_language(
        request.cookies.get(i18n.LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        settings_of(request).default_language,
    )


def context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What every template sees, for a page, an htmx fragment or a live event alike."""
    bar = bar_of(request)
    bartender = sessions.bartender_cached(request)
    return {
        **i18n.context_defaults(language_of(request)),
        "bar_name": bar.bar_name,
        "unit_system": bar.unit_system,
        "standard_drink_grams": bar.standard_drink_grams,
        "csrf": sessions.csrf_of(request) if sessions.SCOPE_KEY in request.scope else "",
        "bartender": bartender,
        # For the staff-only notes (how to start Ollama): never in a guest's page.
        "ollama_host": settings_of(request).ollama_base_url if bartender else "",
        # The idle timer of a guest's tablet (static/js/kiosk.js); a bartender's has none.
        "kiosk_idle": 0 if bartender else settings_of(request).kiosk_idle_seconds,
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def page(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Template:
    return Template(
        template_name=template,
        context={**context(request), **values},
        status_code=status_code,
        headers={**VARY, **(headers or {})},
        media_type="text/html",
    )


def renderer(request: Request[Any, Any, Any]) -> Callable[..., str]:
    """Renders a template to a string with the app's engine (for events sent over SSE); the
    caller passes the context, usually `context(request)` computed once per stream."""
    engine = request.app.template_engine
    assert engine is not None

    def render(template: str, **values: Any) -> str:
        return str(engine.get_template(template).render(**values))

    return render
