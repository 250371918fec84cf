"""Who may see which cocktail: guests the visible ones, a bartender every one, and a guest
their own drink while it waits for approval."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from barapp.cocktails.model import SLUG_PATTERN
from barapp.store.tables import Cocktail, Generation
from barapp.web import sessions

SLUG_MAX = 120  # the cocktail document's bound (`CocktailRecord.slug`)


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
        # Neither an id nor a slug names nothing, and is not sent to the database (NUL in it
        # was a 500 on PostgreSQL).
        if len(ident) > SLUG_MAX or not re.fullmatch(SLUG_PATTERN, ident):
            raise NotFoundException() from None
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
