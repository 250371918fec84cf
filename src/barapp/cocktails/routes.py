"""The guest-facing pages: the gallery, a cocktail's own page, and the language switch (the
tablet's home and its reset are `kiosk.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote_plus, urlsplit

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from barapp.cocktails.access import cocktail_for
from barapp.cocktails.derived import STRENGTHS
from barapp.cocktails.gallery import (
    ALCOHOL,
    ALLERGENS,
    SORTS,
    GalleryQuery,
    fetch_featured,
    fetch_page,
    known_models,
)
from barapp.shelf import allergens, stock
from barapp.web import i18n
from barapp.web.rendering import page
from barapp.web.requests import safe_path, wants_partial


@get("/cocktails", include_in_schema=False)
async def gallery(
    request: HTMXRequest, bartender: NamedDependency[dict[str, Any] | None]
) -> Template:
    query = GalleryQuery.from_params(request.query_params, bartender=bartender is not None)
    # The stock is read once per page, only when something needs it.
    in_stock = await stock.poured_keys() if query.makeable or bartender else None
    results = await fetch_page(query, in_stock or frozenset())
    # Featured cocktails are pinned above the first page of the unfiltered gallery.
    pinned = not query.after and not query.is_filtered
    featured = await fetch_featured() if pinned else []
    context: dict[str, Any] = {
        "query": query,
        "results": results,
        "featured": featured,
        "stocked": in_stock if bartender else None,
    }
    # htmx asks for a part of the page: the results for a new filter, the next cards for the
    # infinite scroll. A history restore or a plain load gets the whole page.
    if wants_partial(request):
        template = "_gallery_more.html" if query.after else "_gallery_results.html"
        headers = {} if query.after else {"HX-Push-Url": query.url()}
        return page(request, template, headers=headers, **context)
    context.update(
        models=await known_models(),
        alcohol_choices=ALCOHOL,
        sorts=list(SORTS),
        strengths=list(STRENGTHS),
        allergen_choices=[(a, allergens.ICONS[a], allergens.LABELS[a]) for a in ALLERGENS],
    )
    return page(request, "gallery.html", **context)


@get("/cocktails/{ident:str}", include_in_schema=False)
async def cocktail_page(
    request: Request[Any, Any, Any],
    ident: FromPath[str],
    can_redraw: NamedDependency[bool],
    bartender: NamedDependency[dict[str, Any] | None],
    guest_stars: NamedDependency[Callable[[Any], Awaitable[int | None]]],
) -> Template:
    cocktail = await cocktail_for(request, ident)
    stocked = await stock.poured_keys() if bartender else None
    music = f"{cocktail['music_title']} {cocktail['music_artist']}".strip()
    music_url = f"https://www.youtube.com/results?search_query={quote_plus(music)}"
    return page(
        request,
        "cocktail.html",
        cocktail=cocktail,
        music_url=music_url,
        can_redraw=can_redraw,
        stocked=stocked,
        # The guest's own vote (ratings/, through app.py's `guest_stars`).
        my_stars=await guest_stars(cocktail["id"]),
    )


@get("/language/{lang:str}", include_in_schema=False)
async def set_language(
    request: Request[Any, Any, Any], lang: FromPath[str], next: FromQuery[str] = "/cocktails"
) -> Redirect:
    if lang not in i18n.language_names():
        raise NotFoundException()
    # Back to the page the guest is on. The Referer knows it even after htmx changed the URL
    # (the link's `next` was rendered before the filters changed); `next` is the fallback.
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc == request.headers.get("host"):
        next = referer.path + (f"?{referer.query}" if referer.query else "")
    response = Redirect(safe_path(next, "/"), status_code=303)
    response.set_cookie(
        i18n.LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax"
    )
    return response


ROUTES = [gallery, cocktail_page, set_language]
