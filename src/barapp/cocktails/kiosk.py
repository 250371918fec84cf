"""The tablet on the counter: its home at `/` (a big "Make a wish" and the newest drinks), and
the reset its idle timer (`static/js/kiosk.js`, `KIOSK_IDLE_SECONDS`) goes to once a guest has
walked away: their language choice dropped, the home shown in the bar's language."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from barapp.cocktails.gallery import fetch_latest
from barapp.store.bar_settings import Bar
from barapp.web import i18n, sessions
from barapp.web.rendering import page

# Two rows of three on a landscape tablet: enough to tempt, not a second gallery.
LATEST_COUNT = 6


@get("/", include_in_schema=False)
async def home(
    request: Request[Any, Any, Any],
    bar: NamedDependency[Bar],
    bartender: NamedDependency[dict[str, Any] | None],
) -> Template:
    latest = await fetch_latest(LATEST_COUNT)
    # Fresh: no guest's language choice on it, so the idle timer has nothing to undo here and
    # only clears what a guest may have left in the tab (kiosk.js), without reloading the home.
    fresh = i18n.LANGUAGE_COOKIE not in request.cookies
    may_wish = bar.guests_may_generate or bartender is not None
    return page(request, "home.html", latest=latest, kiosk_fresh=fresh, may_wish=may_wish)


@get("/reset", include_in_schema=False)
async def reset(bartender: NamedDependency[dict[str, Any] | None]) -> Redirect:
    """Where the idle timer sends a guest's tablet: the language switch's cookie deleted (the
    next guest gets the bar's language) and the guest's session too (the next guest is a new
    guest: the Back button must not make them the owner of the last guest's wish, nor their
    Stop), then the home. A bartender's session is theirs to end (logout). A GET that changes
    nothing but this browser's own state, so it needs no CSRF token: a link elsewhere can at
    worst make a tablet a new guest."""
    response = Redirect("/", status_code=303)
    response.delete_cookie(i18n.LANGUAGE_COOKIE)
    if bartender is None:
        response.delete_cookie(sessions.COOKIE)
    return response


ROUTES = [home, reset]
