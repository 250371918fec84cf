"""How many votes a guest session and an address may send in an hour.

A vote that changes a vote is one more write, so every vote counts, changed or not; the rating
rows cannot say that (one row per guest and drink, rewritten), nor hold the address, so the
counts live in the process's memory, like the drafts (`web/drafts.py`): with several processes,
each counts the votes it received. The address's limit is higher than a guest's: a bar's
guests often share one public address (its Wi-Fi).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

GUEST_VOTES_PER_HOUR = 60
IP_VOTES_PER_HOUR = 600
WINDOW = 3600.0
MAX_KEYS = 20_000
"""Guests and addresses remembered at most (the least recently seen go first)."""


class VoteQuota:
    """A sliding hour of votes per guest and per address."""

    def __init__(
        self,
        per_guest: int = GUEST_VOTES_PER_HOUR,
        per_ip: int = IP_VOTES_PER_HOUR,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.limits = {"guest": per_guest, "ip": per_ip}
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self._seen[key] = times
        return times

    def take(self, guest: str, ip: str) -> str | None:
        """Count one vote, or say why not: "quota_guest", "quota_ip" (then nothing is counted).
        Synchronous, so the check and the count happen in one step of the event loop."""
        now = self.clock()
        windows = [
            (kind, self._recent((kind, value), now))
            for kind, value in (("guest", guest), ("ip", ip))
            if value
        ]
        for kind, times in windows:
            if len(times) >= self.limits[kind]:
                return f"quota_{kind}"
        for _, times in windows:
            times.append(now)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return None
