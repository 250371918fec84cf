"""A bartender's actions on a cocktail: approve, hide, show, feature, delete.

An action answers an htmx request with the cocktail's moderation bar (`_moderation.html`,
swapped in place) and a plain form with a 303 back to the page it came from (its `next` field,
a path on this site).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from barapp.cocktails.access import cocktail_for
from barapp.store import db
from barapp.store.tables import Cocktail, Generation
from barapp.web import drafts
from barapp.web.rendering import page
from barapp.web.requests import Form, safe_path
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
VARIANTS = ("card", "page")


def _action(path: str) -> post:
    """An action's route: a bartender's POST; refused for a stale page, it leads back to the
    cocktail's page (web/drafts.py)."""
    opt = {drafts.FORM_PAGE: "/cocktails/{ident}"}
    return post(path, guards=GUARDS, include_in_schema=False, status_code=200, opt=opt)


def _is_page_of(path: str, cocktail: dict[str, Any]) -> bool:
    parts = path.split("?")[0].split("/")
    return parts[1:2] == ["cocktails"] and parts[2:3] in ([str(cocktail["id"])], [cocktail["slug"]])


async def _moderate(
    request: HTMXRequest, ident: str, data: dict[str, str], **changes: Any
) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    await db.write(lambda: Cocktail.update(**changes).where(Cocktail.id == cocktail["id"]))
    cocktail.update(changes)
    back = safe_path(data.get("next"), f"/cocktails/{cocktail['id']}")
    if not request.htmx:
        return Redirect(back, status_code=303)
    variant = data.get("variant") if data.get("variant") in VARIANTS else "card"
    return page(request, "_moderation.html", cocktail=cocktail, variant=variant, back=back)


@_action("/cocktails/{ident:str}/approve")
async def approve(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="visible")


@_action("/cocktails/{ident:str}/show")
async def show(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="visible")


@_action("/cocktails/{ident:str}/hide")
async def hide(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="hidden")


@_action("/cocktails/{ident:str}/feature")
async def feature(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, featured=True)


@_action("/cocktails/{ident:str}/unfeature")
async def unfeature(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, featured=False)


# Delete ------------------------------------------------------------------------------------


@get("/cocktails/{ident:str}/delete", guards=GUARDS, include_in_schema=False)
async def delete_confirmation(
    request: Request[Any, Any, Any], ident: FromPath[str], next: FromQuery[str] = ""
) -> Template:
    cocktail = await cocktail_for(request, ident)
    return page(
        request,
        "cocktail_delete.html",
        cocktail=cocktail,
        back=safe_path(next, f"/cocktails/{cocktail['id']}"),
    )


@_action("/cocktails/{ident:str}/delete")
async def delete(request: Request[Any, Any, Any], ident: FromPath[str], data: Form) -> Redirect:
    """Deletes the cocktail; its generations stay (the record of how it was made) and picture
    files are left alone (a stored picture is named by its content: another may share it)."""
    cocktail = await cocktail_for(request, ident)

    async def remove() -> None:
        # The foreign key says SET NULL; said here too, whatever the engine enforces.
        await Generation.update({Generation.cocktail: None}).where(
            Generation.cocktail == cocktail["id"]
        )
        await Cocktail.delete().where(Cocktail.id == cocktail["id"])

    await db.write(remove)
    back = safe_path(data.get("next"), "/cocktails")
    if _is_page_of(back, cocktail):
        back = "/cocktails"
    return Redirect(back, status_code=303)


ROUTES = [approve, show, hide, feature, unfeature, delete_confirmation, delete]
