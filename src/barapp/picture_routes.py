"""The pictures over HTTP: stored files under /media, the built-in illustration of each
cocktail, a picture's current state (what a pending card polls), and redrawing it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template

from barapp import illustration, media, sessions
from barapp.generation import Jobs
from barapp.login import bartender_only
from barapp.rendering import page, settings_of
from barapp.tables import Cocktail, Generation

# Stored pictures never change (their name is their content's hash).
IMMUTABLE = "public, max-age=31536000, immutable"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# An SVG opened on its own is a document: this one may draw, never run anything.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


async def cocktail_for(
    request: Request[Any, Any, Any], ident: str, *, own_pending: bool = False
) -> dict[str, Any]:
    """The cocktail named by its id or slug as this request may see it, or 404: guests see
    visible ones, a bartender every one. `own_pending`: also the guest's own cocktail waiting
    for approval (its picture on their generation page)."""
    select = Cocktail.select()
    try:
        select = select.where(Cocktail.id == uuid.UUID(ident))
    except ValueError:
        select = select.where(Cocktail.slug == ident)
    cocktail: dict[str, Any] | None = await select.first().output(load_json=True)
    if cocktail is None:
        raise NotFoundException()
    if cocktail["visibility"] == "visible" or await sessions.bartender_of(request):
        return cocktail
    if own_pending and cocktail["visibility"] == "pending":
        wished = Generation.exists().where(
            (Generation.cocktail == cocktail["id"])
            & (Generation.guest == sessions.guest_of(request))
        )
        if await wished:
            return cocktail
    raise NotFoundException()


def jobs_of(request: Request[Any, Any, Any]) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


def can_redraw(request: Request[Any, Any, Any]) -> bool:
    """Whether the redraw button shows: a bartender, with a picture service configured."""
    enabled = jobs_of(request).pictures.painter.enabled
    return enabled and sessions.bartender_cached(request) is not None


@get("/media/{name:str}", include_in_schema=False)
async def media_file(request: Request[Any, Any, Any], name: FromPath[str]) -> File:
    path = media.safe_path(settings_of(request).media_dir, name)
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
    request: HTMXRequest, ident: FromPath[str], full: FromQuery[bool] = False
) -> Template:
    cocktail = await cocktail_for(request, ident, own_pending=True)
    return page(
        request,
        "_picture.html",
        cocktail=cocktail,
        full=full,
        can_redraw=can_redraw(request),
        headers={"Cache-Control": "no-store"},
    )


@post(
    "/cocktails/{ident:str}/picture",
    include_in_schema=False,
    status_code=200,
    guards=[bartender_only],
)
async def redraw_picture(request: HTMXRequest, ident: FromPath[str]) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    if not can_redraw(request):
        raise NotFoundException()
    await jobs_of(request).pictures.redraw(cocktail)
    if not request.htmx:
        return Redirect(f"/cocktails/{cocktail['id']}", status_code=303)
    cocktail = await cocktail_for(request, str(cocktail["id"]))
    return page(request, "_picture.html", cocktail=cocktail, full=True, can_redraw=True)
