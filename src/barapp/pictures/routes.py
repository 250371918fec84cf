"""The pictures over HTTP: stored files under /media, the built-in illustration of each
cocktail, a picture's current state (what a pending card polls), and redrawing it."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template

from barapp.cocktails.access import cocktail_for
from barapp.pictures import illustration, media
from barapp.pictures.job import Pictures, can_redraw
from barapp.settings import Settings
from barapp.web import drafts
from barapp.web.rendering import page
from barapp.web.sessions import bartender_only

# Stored pictures never change (their name is their content's hash).
IMMUTABLE = "public, max-age=31536000, immutable"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# An SVG opened on its own is a document: this one may draw, never run anything.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@get("/media/{name:str}", include_in_schema=False)
async def media_file(settings: NamedDependency[Settings], name: FromPath[str]) -> File:
    path = media.safe_path(settings.media_dir, name)
    if path is None:
        raise NotFoundException()
    return File(
        path,
        media_type=media.media_type(path),
        content_disposition_type="inline",
        headers={"Cache-Control": IMMUTABLE, **NOSNIFF},
    )


@get("/cocktails/{ident:str}/illustration.svg", include_in_schema=False)
async def illustration_svg(request: Request[Any, Any, Any], ident: FromPath[str]) -> Response[str]:
    cocktail = await cocktail_for(request, ident, own_pending=True)
    svg = illustration.draw(
        cocktail["glass"], cocktail["ingredients"], cocktail["garnish"], cocktail["name"]
    )
    etag = '"' + hashlib.sha256(svg.encode()).hexdigest()[:24] + '"'
    shared = "public" if cocktail["visibility"] == "visible" else "private"
    headers = {"ETag": etag, "Cache-Control": f"{shared}, max-age=3600", **NOSNIFF}
    headers["Content-Security-Policy"] = SVG_POLICY
    if request.headers.get("if-none-match") == etag:
        return Response("", status_code=304, headers=headers)
    return Response(svg, media_type="image/svg+xml", headers=headers)


@get("/cocktails/{ident:str}/picture", include_in_schema=False)
async def picture_state(
    request: HTMXRequest,
    ident: FromPath[str],
    pictures: NamedDependency[Pictures],
    bartender: NamedDependency[dict[str, Any] | None],
    full: FromQuery[bool] = False,
) -> Template:
    cocktail = await cocktail_for(request, ident, own_pending=True)
    return page(
        request,
        "_picture.html",
        cocktail=cocktail,
        full=full,
        can_redraw=can_redraw(pictures, bartender),
        headers={"Cache-Control": "no-store"},
    )


@post(
    "/cocktails/{ident:str}/picture",
    include_in_schema=False,
    status_code=200,
    guards=[bartender_only],
    opt={drafts.FORM_PAGE: "/cocktails/{ident}"},
)
async def redraw_picture(
    request: HTMXRequest,
    ident: FromPath[str],
    pictures: NamedDependency[Pictures],
    bartender: NamedDependency[dict[str, Any] | None],
) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    if not can_redraw(pictures, bartender):
        raise NotFoundException()
    await pictures.redraw(cocktail)
    if not request.htmx:
        return Redirect(f"/cocktails/{cocktail['id']}", status_code=303)
    cocktail = await cocktail_for(request, str(cocktail["id"]))
    return page(request, "_picture.html", cocktail=cocktail, full=True, can_redraw=True)


ROUTES = [media_file, illustration_svg, picture_state, redraw_picture]
