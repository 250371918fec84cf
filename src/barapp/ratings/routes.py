"""The ratings' routes: a guest's stars for a drink, and a bartender's reset.

Each form is a plain POST answered with a 303 back to the page it came from (its `next`
field); htmx sends it instead and swaps the rating block (`_rating.html`) with the answer: the
block in its new state, or with the reason it was refused. A guest rates the drinks the gallery
shows (any other is a 404, as its page is); a bartender may rate or reset any.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from barapp.cocktails.access import cocktail_for
from barapp.ratings import votes
from barapp.ratings.quota import VoteQuota
from barapp.web import drafts, sessions
from barapp.web.rendering import page
from barapp.web.requests import Form, client_ip, safe_path, wants_partial

StarsOf = Callable[[Any], Awaitable[int | None]]
"""The `guest_stars` dependency: this guest's vote for a drink (by its id), if any."""

# Refused for a stale page, a vote leads back to the drink's page (web/drafts.py).
_FORM_PAGE = {drafts.FORM_PAGE: "/cocktails/{ident}"}
# A refusal's status: an unknown number of stars, or too many votes this hour.
_STATUS = {"bad_stars": 400, "quota_guest": 429, "quota_ip": 429}
HEADINGS = ("h2", "h3")
STAR_VALUES = tuple(str(n) for n in votes.STARS)


def guest_stars(request: Request[Any, Any, Any]) -> StarsOf:
    """The `guest_stars` dependency, so that the cocktail's page shows the guest's own vote
    without knowing ratings (as `can_redraw` does for pictures)."""
    guest = sessions.guest_of(request)

    async def stars(cocktail_id: Any) -> int | None:
        return await votes.stars_of(cocktail_id, guest)

    return stars


def _block(
    request: Request[Any, Any, Any],
    cocktail: dict[str, Any],
    mine: int | None,
    back: str,
    status_code: int = 200,
    error: str = "",
    heading: str | None = None,
) -> Template:
    """The rating block alone for htmx, else inside its own small page (a plain GET, or a
    refusal without JavaScript)."""
    template = "_rating.html" if wants_partial(request) else "rating.html"
    return page(
        request,
        template,
        status_code=status_code,
        cocktail=cocktail,
        my_stars=mine,
        back=back,
        rating_error=error,
        # The block's heading keeps its level in the card it sits in (h3 on the stage).
        part_tag=heading if heading in HEADINGS else "h2",
    )


def _back(cocktail: dict[str, Any], given: str | None) -> str:
    return safe_path(given, f"/cocktails/{cocktail['id']}")


@get("/cocktails/{ident:str}/rating", include_in_schema=False)
async def rating_block(
    request: HTMXRequest,
    ident: FromPath[str],
    next: FromQuery[str] = "",
    heading: FromQuery[str] = "",
) -> Template:
    """The block with this guest's vote: htmx loads it where a page did not look the vote up
    (the drink stage); without JavaScript it is a page of its own."""
    cocktail = await cocktail_for(request, ident)
    mine = await votes.stars_of(cocktail["id"], sessions.guest_of(request))
    return _block(request, cocktail, mine, _back(cocktail, next), heading=heading)


@post("/cocktails/{ident:str}/rating", include_in_schema=False, status_code=200, opt=_FORM_PAGE)
async def rate(
    request: HTMXRequest,
    ident: FromPath[str],
    data: Form,
    bartender: NamedDependency[dict[str, Any] | None],
    rating_quota: NamedDependency[VoteQuota],
) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    back = _back(cocktail, data.get("next"))
    guest = sessions.guest_of(request)
    sent = str(data.get("stars", ""))
    # Only the buttons' own values ("٣" is a decimal digit to int(), not a star of ours).
    stars = int(sent) if sent in STAR_VALUES else 0
    refusal = "" if stars in votes.STARS else "bad_stars"
    # Bartenders are not counted, as for wishes.
    if not refusal and bartender is None:
        refusal = rating_quota.take(guest, client_ip(request)) or ""
    if refusal:
        mine = await votes.stars_of(cocktail["id"], guest)
        heading = data.get("heading")
        return _block(request, cocktail, mine, back, _STATUS[refusal], refusal, heading)
    try:
        totals = await votes.vote(uuid.UUID(str(cocktail["id"])), guest, stars)
    except votes.Gone:
        raise NotFoundException() from None
    if not request.htmx:
        return Redirect(back, status_code=303)
    return _block(
        request, {**cocktail, **totals.columns()}, stars, back, heading=data.get("heading")
    )


@post(
    "/cocktails/{ident:str}/rating/reset",
    guards=[sessions.bartender_only],
    include_in_schema=False,
    status_code=200,
    opt=_FORM_PAGE,
)
async def reset(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    """A bartender's reset of a drink's ratings: its votes deleted, its totals zero."""
    cocktail = await cocktail_for(request, ident)
    try:
        totals = await votes.reset(uuid.UUID(str(cocktail["id"])))
    except votes.Gone:
        raise NotFoundException() from None
    back = _back(cocktail, data.get("next"))
    if not request.htmx:
        return Redirect(back, status_code=303)
    return _block(
        request, {**cocktail, **totals.columns()}, None, back, heading=data.get("heading")
    )


ROUTES = [rating_block, rate, reset]
