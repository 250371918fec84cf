"""What "most loved" means: a drink's score from its votes, and the most loved drinks.

The score is a Bayesian average: the drink's stars with `PRIOR_VOTES` votes of `PRIOR_STARS`
added, so one guest's 5 stars do not put a drink above one that twenty guests gave 4.6. It is
kept on the drink's row (`loved_key`) whenever a vote changes, so the gallery's "Most loved"
sort pages along an index like the other sorts.
"""

from __future__ import annotations

from typing import Any

from barapp.store.statuses import Visibility
from barapp.store.tables import Cocktail

PRIOR_VOTES = 2
PRIOR_STARS = 3.0


def score(count: int, stars_sum: int) -> float:
    """The sort key of a drink with `count` votes summing `stars_sum` stars; 0 with no vote
    (below any rated drink: every score of a vote is at least 1)."""
    if count <= 0:
        return 0.0
    return (stars_sum + PRIOR_VOTES * PRIOR_STARS) / (count + PRIOR_VOTES)


async def most_loved(limit: int, columns: list[Any] | None = None) -> list[dict[str, Any]]:
    """The visible drinks with at least one vote, most loved first (the screen, the home
    page). `columns`: what to read of each row (every column by default)."""
    select = Cocktail.select(*(columns or []))
    rows: list[dict[str, Any]] = (
        await select.where(Cocktail.visibility == Visibility.VISIBLE)
        .where(Cocktail.rating_count > 0)
        .order_by(Cocktail.loved_key, ascending=False)
        .order_by(Cocktail.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return rows
