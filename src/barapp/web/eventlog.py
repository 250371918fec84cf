"""The event log of each generation: what the job has produced, in order, for any number of
readers that come and go (a tab, a reconnect after a Wi-Fi drop, a reload).

Every event has an id (1, 2, 3...) per generation; a reader that says "I have up to N"
(`Last-Event-ID`) gets exactly the events after N, then the live ones, until the terminal
event. The job never waits for a reader: appending is O(1) and readers catch up on their own.

`EventLog` is the interface; `MemoryEventLog` keeps the events in this process. With several
app processes serving one bar, a shared implementation (PostgreSQL LISTEN/NOTIFY, or Redis
streams whose entry ids are the event ids) replaces it: see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Entry:
    """One event of a stream, numbered. The event is whatever the job said (`wishes/events`):
    the log neither reads nor renders it."""

    id: int
    event: object
    terminal: bool = False


class EventLog(Protocol):
    def open(self, stream: str) -> None: ...

    def append(self, stream: str, event: object, terminal: bool = False) -> Entry: ...

    def has(self, stream: str) -> bool: ...

    def follow(self, stream: str, after: int = 0) -> AsyncIterator[list[Entry]]: ...


@dataclass
class _Stream:
    events: list[Entry] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended_at: float | None = None


class MemoryEventLog:
    """In-process log. Ended streams are kept `keep_seconds` for late readers; after that a
    reader is answered from the database (the generation's final state)."""

    def __init__(self, keep_seconds: float = 900.0) -> None:
        self._streams: dict[str, _Stream] = {}
        self._keep = keep_seconds
        self._swept = time.monotonic()

    def open(self, stream: str) -> None:
        self._streams.setdefault(stream, _Stream())

    def append(self, stream: str, event: object, terminal: bool = False) -> Entry:
        log = self._streams.setdefault(stream, _Stream())
        if log.ended_at is not None:
            raise RuntimeError(f"stream {stream} has ended")
        entry = Entry(len(log.events) + 1, event, terminal)
        log.events.append(entry)
        if terminal:
            log.ended_at = time.monotonic()
        # Wake the readers waiting now, and arm a fresh flag for the next event.
        log.changed.set()
        log.changed = asyncio.Event()
        self._forget_old()
        return entry

    def has(self, stream: str) -> bool:
        return stream in self._streams

    async def follow(self, stream: str, after: int = 0) -> AsyncIterator[list[Entry]]:
        """Events after `after`, then live ones until the terminal event, in batches of what
        is there when the reader asks (a reader that fell behind catches up in one write).
        Nothing for a reader at or past the end of an ended stream (it has everything).
        The stream must exist (`has`): an unknown one is answered from the database."""
        log = self._streams[stream]
        position = max(after, 0)
        while True:
            changed = log.changed
            if log.ended_at is not None and position >= len(log.events):
                return
            if position < len(log.events):
                batch = log.events[position:]
                position += len(batch)
                yield batch
                if batch[-1].terminal:
                    return
                continue
            await changed.wait()

    def _forget_old(self) -> None:
        now = time.monotonic()
        # A sweep looks at every log: at most once a second, not on every event.
        if now - self._swept < 1.0:
            return
        self._swept = now
        old = [
            key
            for key, log in self._streams.items()
            if log.ended_at is not None and now - log.ended_at > self._keep
        ]
        for key in old:
            del self._streams[key]
