"""A fair line for Ollama: at most `concurrency` generations talk to it at once, the others
wait in arrival order and can be told their place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class QueueFull(Exception):
    """More wishes are waiting than the bar allows (OLLAMA_MAX_QUEUE)."""


class FairQueue:
    def __init__(self, concurrency: int, max_waiting: int) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._waiting: list[str] = []
        self._running: set[str] = set()
        self._changed = asyncio.Condition()

    def reserve(self, key: str) -> None:
        """Take a place in line now (synchronously, so the order is the order of arrival)."""
        if len(self._waiting) >= self.max_waiting:
            raise QueueFull()
        self._waiting.append(key)

    async def wait_turn(self, key: str, on_position: Callable[[int], None]) -> None:
        """Wait until `key` may run; `on_position(n)` is called whenever its place changes."""
        told = -1
        async with self._changed:
            while True:
                if self._waiting[0] == key and len(self._running) < self.concurrency:
                    self._waiting.pop(0)
                    self._running.add(key)
                    self._changed.notify_all()
                    return
                # Wishes ahead: those being made, and those waiting in front of this one.
                place = self._waiting.index(key) + len(self._running)
                if place != told:
                    told = place
                    on_position(place)
                await self._changed.wait()

    async def leave(self, key: str) -> None:
        """Release the place, whether running or still waiting (stopped before its turn)."""
        async with self._changed:
            self._running.discard(key)
            if key in self._waiting:
                self._waiting.remove(key)
            self._changed.notify_all()
