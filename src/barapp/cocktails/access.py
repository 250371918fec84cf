"""Who may see which cocktail: guests the visible ones, a bartender every one, and a guest
their own drink while it waits for approval."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from barapp.store.tables import Cocktail, Generation
from barapp.web import sessions


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
