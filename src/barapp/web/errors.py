"""The HTML error pages (400, 403, 404, 413, 415, 500) that keep the app's look instead of
Litestar's JSON errors; an htmx request gets the explanation as a fragment."""

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
from litestar.response import Redirect

from barapp.web import drafts, sessions
from barapp.web.rendering import page
from barapp.web.requests import wants_partial

log = logging.getLogger("barapp")


class BadFilter(ValueError):
    """A query parameter value a page does not know; rendered as a 400 page."""

    def __init__(self, param: str, value: str, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(f"{param}={value!r}")
        self.param = param
        self.value = value
        self.allowed = allowed


class BadCursor(ValueError):
    """A gallery page's `after=` that no page of ours wrote: a 400 that says the link is broken
    (and never shows it: it is only noise to a guest)."""


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # htmx swaps the answer into part of the page: it gets the explanation, not a whole page.
    partial = wants_partial(request)
    template = "_error.html" if partial else "error.html"
    if isinstance(exc, sessions.CSRFRefused):
        # A link back to the form, never a form around the fields that came in (under a fresh
        # token, one tap would carry out another site's request); a guest's own draft waits
        # for them in the form.
        kept = drafts.keep_refused(request, exc.form)
        return page(request, template, 403, kind="csrf", back=drafts.form_page(request), kept=kept)
    if isinstance(exc, NotAuthorizedException):
        if request.method == "GET" and not partial:
            return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
        return page(request, template, 403, kind="bartender_only")
    if isinstance(exc, PermissionDeniedException):
        return page(request, template, 403, kind="forbidden")
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return page(request, template, 413, kind="too_large")
    if isinstance(exc, BadCursor):
        return page(request, template, 400, kind="bad_cursor")
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
