"""The bartender's home: what waits for approval, and what is hidden."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from barapp.cocktails.gallery import CARD_COLUMNS
from barapp.store.bar_settings import Bar
from barapp.store.tables import Cocktail
from barapp.web.rendering import page
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
BAR_LIST = 48  # cocktails shown per list


async def _listed(visibility: str) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = (
        await Cocktail.select(*CARD_COLUMNS)
        .where(Cocktail.visibility == visibility)
        .order_by(Cocktail.created_at, ascending=False)
        .limit(BAR_LIST)
        .output(load_json=True)
    )
    total = len(rows)
    if total == BAR_LIST:
        total = await Cocktail.count().where(Cocktail.visibility == visibility)
    return rows, total


@get("/bar", guards=GUARDS, include_in_schema=False)
async def bar_home(request: Request[Any, Any, Any], bar: NamedDependency[Bar]) -> Template:
    pending, pending_count = await _listed("pending")
    hidden, hidden_count = await _listed("hidden")
    return page(
        request,
        "bar.html",
        pending=pending,
        pending_count=pending_count,
        hidden=hidden,
        hidden_count=hidden_count,
        premoderation=bar.premoderation,
    )


ROUTES = [bar_home]
