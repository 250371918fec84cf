"""The bar's own settings, changed by a bartender in the app and stored in the database. Each
starts from its environment variable (so a tablet can be provisioned by script) until a
bartender changes it; the stored value then wins.

Pages read a snapshot (`BarSettings.current`), refreshed at most every `TTL` seconds before a
request, so that a change made in another app process shows within that time.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any

from barapp.settings import Settings
from barapp.store import db
from barapp.store.tables import BarSetting

TTL = 2.0


@dataclass(frozen=True)
class Bar:
    bar_name: str
    unit_system: str
    standard_drink_grams: int
    shelf_mode: str
    guests_may_generate: bool
    guest_wishes_per_hour: int
    ip_wishes_per_hour: int
    premoderation: bool
    wish_seconds: int


FIELDS = tuple(f.name for f in dataclasses.fields(Bar))


def defaults(settings: Settings) -> Bar:
    return Bar(**{name: getattr(settings, name) for name in FIELDS})


async def load(settings: Settings) -> Bar:
    rows = await BarSetting.select(BarSetting.key, BarSetting.value)
    # SQLite gives a JSON number back as a number (its JSON columns have numeric affinity).
    stored = {
        row["key"]: json.loads(row["value"]) if isinstance(row["value"], str) else row["value"]
        for row in rows
    }
    values = dataclasses.asdict(defaults(settings))
    for name, value in stored.items():
        if name in values:
            values[name] = value
    return Bar(**values)


class BarSettings:
    """The bar's settings of this process: a snapshot reloaded at most every `TTL` seconds
    (before a request), so a change saved by another process shows within that time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bar: Bar | None = None
        self.loaded = 0.0

    def current(self) -> Bar:
        """The latest snapshot (the environment's values before the first refresh)."""
        return self.bar if self.bar is not None else defaults(self.settings)

    async def refresh(self, force: bool = False) -> Bar:
        if force or self.bar is None or time.monotonic() - self.loaded > TTL:
            self.bar = await load(self.settings)
            self.loaded = time.monotonic()
        return self.bar

    async def save(self, values: dict[str, Any]) -> Bar:
        async def write() -> None:
            for key, value in values.items():
                await BarSetting.delete().where(BarSetting.key == key)
                # Encoded here: Piccolo stores a str as if it were JSON already ("Chez Marie").
                await BarSetting.insert(BarSetting(key=key, value=json.dumps(value)))

        await db.write(write)
        return await self.refresh(force=True)
