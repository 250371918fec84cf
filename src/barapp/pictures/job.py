"""Pictures as jobs: drawn in the background for a new cocktail (started as soon as the model
has written the image prompt) or again on a bartender's retry, and written to the cocktail's
image columns. A picture job never fails a drink: its worst outcome is a `failed` picture.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar.di import NamedDependency

from barapp.pictures.providers import Painter, failed
from barapp.store import db
from barapp.store.leases import Orphaned
from barapp.store.statuses import ImageStatus, PictureReason
from barapp.store.tables import Cocktail


class Pictures:
    """The pictures being drawn in this process: for new cocktails (started by the
    generation as soon as the image prompt is written) and redrawn ones (the retry), at most
    IMAGE_CONCURRENCY at once: the others wait their turn, in order."""

    def __init__(self, painter: Painter, owner: str = "") -> None:
        self.painter = painter
        self.owner = owner
        """This process's name on the pictures it draws (its lease: store/leases.py)."""
        self.tasks: set[asyncio.Task[Any]] = set()
        self.redrawing: dict[str, asyncio.Task[None]] = {}
        self.drawing = asyncio.Semaphore(painter.settings.image_concurrency)
        """A place at the image service: new pictures and redraws share it."""

    def start(self, image_prompt: str) -> asyncio.Task[dict[str, str]]:
        """Draw as soon as the image service has a place; the task's result is the
        cocktail's image columns."""
        task = asyncio.create_task(self._paint(image_prompt), name="picture")
        self._keep(task)
        return task

    async def _paint(self, prompt: str) -> dict[str, str]:
        async with self.drawing:
            return await self.painter.paint(prompt)

    async def redraw(self, cocktail: dict[str, Any]) -> None:
        """Mark the cocktail's picture pending and draw it again in the background."""
        key = str(cocktail["id"])
        if key in self.redrawing:
            return
        pending = {
            "image_status": ImageStatus.PENDING,
            "image_reason": "",
            "image_detail": "",
            "image_owner": self.owner,
        }
        await db.write(lambda: set_columns(key, pending))
        prompt = cocktail["image_prompt"] or _fallback_prompt(cocktail)
        task = asyncio.create_task(self._redraw(key, prompt), name=f"picture {key}")
        self.redrawing[key] = task
        task.add_done_callback(lambda _: self.redrawing.pop(key, None))
        self._keep(task)

    async def _redraw(self, key: str, prompt: str) -> None:
        try:
            columns = await self._paint(prompt)
        except asyncio.CancelledError:
            with db.shielded():
                await save_interrupted(key)
            raise
        await db.write(lambda: set_columns(key, columns))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def shutdown(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.painter.close()


INTERRUPTED_COLUMNS = failed(PictureReason.INTERRUPTED, "the app stopped while it was drawn")


async def save_interrupted(key: str) -> None:
    await db.write(lambda: set_columns(key, INTERRUPTED_COLUMNS))


def interrupt_orphaned_pictures(orphaned: Orphaned) -> Any:
    """The update (run by store/leases.py) of the pictures a dead process was drawing: they
    will never arrive."""
    return Cocktail.update(_columns(INTERRUPTED_COLUMNS)).where(
        (Cocktail.image_status == ImageStatus.PENDING) & orphaned(Cocktail.image_owner)
    )


def can_redraw(
    pictures: NamedDependency[Pictures], bartender: NamedDependency[dict[str, Any] | None]
) -> bool:
    """Whether the redraw button shows: a bartender, with a picture service configured. (Also
    the `can_redraw` dependency, so the cocktail page asks for it without knowing pictures.)"""
    return pictures.painter.enabled and bartender is not None


def _columns(values: dict[str, str]) -> dict[Any, Any]:
    return {getattr(Cocktail, key): value for key, value in values.items()}


def set_columns(key: str, values: dict[str, str]) -> Any:
    """The update query of a cocktail's image columns (to run in `db.write`)."""
    return Cocktail.update(_columns(values)).where(Cocktail.id == uuid.UUID(key))


def _fallback_prompt(cocktail: dict[str, Any]) -> str:
    # An imported house recipe may have no image prompt: describe it from what is known.
    parts = [f"A cocktail called {cocktail['name']}"]
    if cocktail["glass"]:
        parts.append(f"served in a {cocktail['glass']}")
    if cocktail["garnish"]:
        parts.append(f"garnished with {cocktail['garnish']}")
    return ", ".join(parts) + "."
