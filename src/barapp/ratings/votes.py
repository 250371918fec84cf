"""The writes of ratings: a guest's vote (new or changed), a bartender's reset, and the totals
kept on the drink's row.

Each runs in one write transaction (`db.write`) that first takes the drink's row: on
PostgreSQL a `SELECT ... FOR UPDATE` (at READ COMMITTED, two votes that each counted the rows
they could see would both write a count missing the other's vote), on SQLite the write lock
that `db.write` holds anyway. The totals are then counted again from the rating rows, so they
are exact whatever happened before (a vote changed, a row removed by hand).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.functions.aggregate import Count, Sum

from barapp.ratings.loved import score
from barapp.store import db
from barapp.store.tables import Cocktail, Rating

STARS = range(1, 6)


class Gone(LookupError):
    """The drink was deleted while the vote was on its way."""


@dataclass(frozen=True)
class Totals:
    count: int
    stars_sum: int

    @property
    def loved_key(self) -> float:
        return score(self.count, self.stars_sum)

    def columns(self) -> dict[str, int | float]:
        """The totals as the cocktail's columns (what the templates read)."""
        return {
            "rating_count": self.count,
            "rating_sum": self.stars_sum,
            "loved_key": self.loved_key,
        }


async def _take_row(cocktail_id: uuid.UUID) -> None:
    select = Cocktail.select(Cocktail.id).where(Cocktail.id == cocktail_id)
    if not isinstance(db.current_engine(), SQLiteEngine):
        select = select.lock_rows("UPDATE")
    if await select.first() is None:
        raise Gone(str(cocktail_id))


async def _recount(cocktail_id: uuid.UUID) -> Totals:
    row = await (
        Rating.select(Count(Rating.id, alias="count"), Sum(Rating.stars, alias="stars_sum"))
        .where(Rating.cocktail == cocktail_id)
        .first()
    )
    row = row or {}  # an aggregate always has its one row; said for the type checker
    totals = Totals(int(row.get("count") or 0), int(row.get("stars_sum") or 0))
    await Cocktail.update(
        {
            Cocktail.rating_count: totals.count,
            Cocktail.rating_sum: totals.stars_sum,
            Cocktail.loved_key: totals.loved_key,
        }
    ).where(Cocktail.id == cocktail_id)
    return totals


async def vote(cocktail_id: uuid.UUID, guest: str, stars: int) -> Totals:
    """Record `guest`'s `stars` for the drink (replacing their earlier vote); its new totals."""
    if stars not in STARS:
        raise ValueError(f"stars: {stars}")

    async def work() -> Totals:
        await _take_row(cocktail_id)
        mine = (Rating.cocktail == cocktail_id) & (Rating.guest == guest)
        # Under the drink's row lock no other vote for it runs: the same guest's second tab
        # finds this row instead of breaking the unique index.
        if await Rating.exists().where(mine):
            await Rating.update({Rating.stars: stars, Rating.updated_at: datetime.now(UTC)}).where(
                mine
            )
        else:
            await Rating.insert(Rating(cocktail=cocktail_id, guest=guest, stars=stars))
        return await _recount(cocktail_id)

    return await db.write(work)


async def reset(cocktail_id: uuid.UUID) -> Totals:
    """A bartender's reset: every vote for the drink goes, its totals are zero."""

    async def work() -> Totals:
        await _take_row(cocktail_id)
        await Rating.delete().where(Rating.cocktail == cocktail_id)
        return await _recount(cocktail_id)

    return await db.write(work)


async def stars_of(cocktail_id: uuid.UUID | str, guest: str) -> int | None:
    """The guest's vote for the drink, if any."""
    row = await (
        Rating.select(Rating.stars)
        .where((Rating.cocktail == cocktail_id) & (Rating.guest == guest))
        .first()
    )
    return int(row["stars"]) if row else None
