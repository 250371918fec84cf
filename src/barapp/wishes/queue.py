"""A fair line for Ollama: at most `concurrency` generations talk to it at once, the others
wait in arrival order and can be told their place, and how long they may wait (from the time
the last runs held a place). The line is for the model only: a wish leaves it once its recipe
is complete, before its picture is drawn (`pictures/job.py` has its own limit)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Callable

RECENT_RUNS = 20
"""How many of the last runs the wait's estimate is made from."""


class QueueFull(Exception):
    """More wishes are waiting than the bar allows (OLLAMA_MAX_QUEUE)."""


def rounded_wait(seconds: float) -> int:
    """A wait as a guest is told it: under a minute, in seconds (at least 1); past it, to the
    nearest minute (90 s is "about 2 min"). 0 stays 0: no estimate."""
    if seconds <= 0:
        return 0
    if seconds < 60:
        return max(1, round(seconds))
    return int(seconds / 60 + 0.5) * 60


class FairQueue:
    def __init__(
        self, concurrency: int, max_waiting: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._waiting: list[str] = []
        self._running: dict[str, float] = {}
        """The wishes holding a place, and since when (the clock's time)."""
        self._changed: set[asyncio.Future[None]] = set()
        """The waiters to wake when the line moves."""
        self._clock = clock
        self.durations: deque[float] = deque(maxlen=RECENT_RUNS)
        """Seconds each of the last runs held its place, oldest first."""

    def reserve(self, key: str) -> None:
        """Take a place in line now (synchronously, so the order is the order of arrival)."""
        if len(self._waiting) >= self.max_waiting:
            raise QueueFull()
        self._waiting.append(key)

    def wait_seconds(self, place: int) -> int:
        """The estimated wait of a wish with `place` wishes before it (rounded as a guest is
        told it): place x the median of the last runs / concurrency. 0: no estimate yet (no
        run has ended), or nothing to wait for."""
        if not self.durations or place <= 0:
            return 0
        return rounded_wait(place * statistics.median(self.durations) / self.concurrency)

    async def wait_turn(self, key: str, on_position: Callable[[int], None]) -> None:
        """Wait until `key` may run; `on_position(n)` is called whenever its place changes."""
        told = -1
        while True:
            if self._waiting[0] == key and len(self._running) < self.concurrency:
                self._waiting.pop(0)
                self._running[key] = self._clock()
                self._moved()  # the others' places changed
                return
            # Wishes ahead: those being made, and those waiting in front of this one.
            place = self._waiting.index(key) + len(self._running)
            if place != told:
                told = place
                on_position(place)
            moved = asyncio.get_running_loop().create_future()
            self._changed.add(moved)
            try:
                await moved
            finally:
                self._changed.discard(moved)

    def leave(self, key: str) -> None:
        """Release the place, whether running or still waiting (stopped before its turn).
        Synchronous, so a job cancelled right then cannot keep its place; leaving twice is
        harmless (the second time there is nothing to release)."""
        started = self._running.pop(key, None)
        if started is not None:
            self.durations.append(max(0.0, self._clock() - started))
        if key in self._waiting:
            self._waiting.remove(key)
        self._moved()

    def _moved(self) -> None:
        for waiter in self._changed:
            if not waiter.done():
                waiter.set_result(None)
