"""A wish's row: its end written (again later when the database refuses writes), the wishes a
dead process left behind, and a free slug for its cocktail."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from barapp.cocktails.model import slugify
from barapp.store import db
from barapp.store.leases import Orphaned
from barapp.store.statuses import FailureReason as Reason
from barapp.store.statuses import GenerationStatus as Status
from barapp.store.tables import Cocktail, Generation
from barapp.wishes.attempts import now


def interrupt_orphaned_wishes(orphaned: Orphaned) -> Any:
    """The update (run by store/leases.py) of the wishes a dead process left queued or running:
    they will never finish."""
    return Generation.update(
        {
            Generation.status: Status.INTERRUPTED,
            Generation.reason: Reason.INTERRUPTED,
            Generation.detail: "the app stopped",
            Generation.finished_at: now(),
        }
    ).where(Generation.status.is_in([Status.QUEUED, Status.RUNNING]) & orphaned(Generation.owner))


def columns(values: dict[str, Any]) -> dict[Any, Any]:
    return {getattr(Generation, key): value for key, value in values.items()}


RECORD_RETRY_SECONDS = 10.0


async def record_later(gen_id: str, values: dict[str, Any], tries: int = 360) -> None:
    """Write a wish's end once the database takes writes again (for up to an hour)."""
    for _ in range(tries):
        await asyncio.sleep(RECORD_RETRY_SECONDS)
        with contextlib.suppress(Exception):  # still not writable: the next try says more
            await update(gen_id, **values)
            return


async def update(gen_id: str, **values: Any) -> None:
    await db.write(
        lambda: Generation.update(columns(values)).where(Generation.id == uuid.UUID(gen_id))
    )


async def free_slug(name: str) -> str:
    base = slugify(name)
    taken = {
        row["slug"]
        for row in await Cocktail.select(Cocktail.slug).where(
            (Cocktail.slug == base) | Cocktail.slug.like(f"{base}-%")
        )
    }
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
