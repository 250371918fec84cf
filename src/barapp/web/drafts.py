"""Where a refused form leads back, and the guest's own draft kept meanwhile.

A POST refused by the CSRF check (a stale page, or another site) is never answered with a form
to send again: a form around the fields that came in, under a fresh valid token, would let
another site have a logged-in bartender carry out its request in one tap. The refusal page
links to the page of the form instead, which a route names in its `opt`:

    @post("/generate", opt={FORM_PAGE: "/generate", DRAFT: "wish"})

`FORM_PAGE` is a path, its `{parameters}` filled from the route's (quoted); `DRAFT` names the
field worth keeping for the guest (or a tuple: that field, then others kept with it). It is
kept on the server for the browser whose cookie came with the refused POST (a POST without it
has no guest to return it to), for `TTL` seconds, and given back once, when the form is shown
again: prefilled, never sent.

The drafts live in the process's memory, at most `MAX_DRAFTS` of them (the oldest go first),
each cut to `MAX_LENGTH` characters: with several processes, a draft waits in the one that
refused the POST.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request

from barapp.web import sessions
from barapp.web.requests import safe_path

FORM_PAGE = "form_page"
DRAFT = "draft"
TTL = 30 * 60
MAX_DRAFTS = 1000
MAX_LENGTH = 2000
DEFAULT_PAGE = "/cocktails"


class Drafts:
    """Drafts by (guest, field): kept a while, taken once."""

    def __init__(
        self,
        ttl: float = TTL,
        size: int = MAX_DRAFTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._drafts: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    def keep(self, guest: str, field: str, text: str) -> None:
        key = (guest, field)
        self._drafts.pop(key, None)
        self._drafts[key] = (self.clock() + self.ttl, text[:MAX_LENGTH])
        while len(self._drafts) > self.size:
            self._drafts.popitem(last=False)

    def take(self, guest: str, field: str) -> str:
        expires, text = self._drafts.pop((guest, field), (0.0, ""))
        return text if expires > self.clock() else ""

    def __len__(self) -> int:
        return len(self._drafts)


def drafts_of(request: Request[Any, Any, Any]) -> Drafts:
    drafts: Drafts = request.app.state["drafts"]
    return drafts


def _opt(request: Request[Any, Any, Any]) -> dict[str, Any]:
    handler = request.scope.get("route_handler")
    return dict(handler.opt) if handler is not None else {}


def form_page(request: Request[Any, Any, Any]) -> str:
    """The page of the form this POST came from (as its route names it), else the gallery."""
    template = _opt(request).get(FORM_PAGE)
    if not template:
        return DEFAULT_PAGE
    params = {name: quote(str(value), safe="") for name, value in request.path_params.items()}
    return safe_path(template.format(**params), DEFAULT_PAGE)


def keep_refused(request: Request[Any, Any, Any], form: dict[str, str]) -> bool:
    """Keep the draft field of a refused POST for the guest who sent it; whether one was.
    `DRAFT` may name more fields after the first (a wish's allergen boxes): those present
    are kept with it."""
    named: str | tuple[str, ...] = _opt(request).get(DRAFT, "")
    field, *others = (named,) if isinstance(named, str) else named
    text = form.get(field, "")
    if not field or not text.strip() or not sessions.came_with_cookie(request):
        return False
    guest = sessions.guest_of(request)
    drafts_of(request).keep(guest, field, text)
    for other in others:
        if form.get(other):
            drafts_of(request).keep(guest, other, form[other])
    return True


def take(request: Request[Any, Any, Any], field: str) -> str:
    """The guest's draft of `field`, once ("" when there is none)."""
    return drafts_of(request).take(sessions.guest_of(request), field)
