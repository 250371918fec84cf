"""The shelf's first filling: the first time the shelf page is opened, every ingredient of the
cocktails already saved that the knowledge base knows is put on the shelf, in stock.

Once only: a `BarSetting` row (`shelf_seeded`) says it was done, so a shelf a bartender emptied
stays empty, and an imported shelf (`transfer.py` sets the marker too) is never seeded over.
Names the base does not know are NOT added as custom items: a generated drink may call for
what the model invented (the very bottles the shelf is there to rule out), and a shelf that
starts with them would offer them back to the model in strict mode. They are returned, for the
page to name, so the bartender can add the real ones by hand.

Fast with 100,000 saved drinks: the distinct ingredient names are read by the database's own
JSON functions (SQLite's json_tree, PostgreSQL's json_array_elements), so only a few thousand
names come back to Python, each matched once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from barapp.shelf.knowledge import ALWAYS_THERE, match
from barapp.shelf.stock import _put_known
from barapp.store import db
from barapp.store.tables import BarSetting, Cocktail, ShelfItem

MARKER = "shelf_seeded"

# json_tree walks each list once; json_each + json_extract parsed every ingredient again, and
# took twice as long at 100,000 drinks (measured). An ingredient is a flat object (store/recipe.py),
# so a "name" key is an ingredient's name.
_SQLITE_NAMES = (
    "SELECT DISTINCT j.value AS name FROM cocktail, json_tree(cocktail.ingredients) AS j "
    "WHERE j.key = 'name' AND j.type = 'text'"
)
_POSTGRES_NAMES = (
    "SELECT DISTINCT e ->> 'name' AS name "
    "FROM cocktail, json_array_elements(cocktail.ingredients::json) AS e"
)


@dataclass
class Seeding:
    """What a seeding did: the keys it added, and the names it left out (unknown to the
    base)."""

    added: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


async def is_seeded() -> bool:
    return bool(await BarSetting.exists().where(BarSetting.key == MARKER))


async def mark_seeded() -> None:
    """Inside a write: the marker, unless it is there already."""
    await BarSetting.insert(BarSetting(key=MARKER, value=json.dumps(True))).on_conflict(
        action="DO NOTHING"
    )


async def ingredient_names() -> list[str]:
    """Every distinct ingredient name of the saved cocktails, as written."""
    sql = _POSTGRES_NAMES if db.current_engine().engine_type == "postgres" else _SQLITE_NAMES
    rows = await Cocktail.raw(sql)
    return [row["name"] for row in rows if isinstance(row["name"], str)]


async def seed_once() -> Seeding | None:
    """Seed the shelf unless it ever was; None when it was (by this or another process)."""
    if await is_seeded():
        return None
    seeding = Seeding()
    stock: dict[str, bool] = {}
    for name in await ingredient_names():
        known = match(name)
        if known is None:
            if name.strip():
                seeding.unknown.append(name.strip())
        elif known.key not in ALWAYS_THERE:
            stock[known.key] = True
    seeding.unknown = sorted(set(seeding.unknown), key=str.casefold)

    async def work() -> list[str] | None:
        # The marker first: a process that lost the race (its insert did nothing) adds nothing.
        inserted = await (
            BarSetting.insert(BarSetting(key=MARKER, value=json.dumps(True)))
            .on_conflict(action="DO NOTHING")
            .returning(BarSetting.key)
        )
        if not inserted:
            return None
        # Items already there (put by hand before any seeding) keep their state.
        present = {row["key"] for row in await ShelfItem.select(ShelfItem.key)}
        await _put_known({k: v for k, v in stock.items() if k not in present})
        return sorted(k for k in stock if k not in present)

    added = await db.write(work)
    if added is None:
        return None
    seeding.added = added
    return seeding
