"""Leases on both engines (store/leases.py): a process marks interrupted only the wishes and
pictures of processes that hold no live lease. Processes are simulated by their lease rows and
by several `Leases` in one test; tests/test_processes.py runs real ones."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from barapp.pictures.job import interrupt_orphaned_pictures
from barapp.settings import Settings
from barapp.store import leases as leases_module
from barapp.store.leases import Leases, database_now
from barapp.store.tables import Cocktail, Generation, Lease
from barapp.wishes.records import interrupt_orphaned_wishes
from tests.factories import add_cocktails, cocktail_doc

SWEEPS = [interrupt_orphaned_wishes, interrupt_orphaned_pictures]


async def wishes() -> dict[str, tuple[str, str, str]]:
    rows = await Generation.select(
        Generation.wish, Generation.status, Generation.reason, Generation.detail
    )
    return {r["wish"]: (r["status"], r["reason"], r["detail"]) for r in rows}


async def pictures() -> dict[str, tuple[str, str]]:
    rows = await Cocktail.select(Cocktail.name, Cocktail.image_status, Cocktail.image_reason)
    return {r["name"]: (r["image_status"], r["image_reason"]) for r in rows}


async def lease_owners() -> set[str]:
    return {r["owner"] for r in await Lease.select(Lease.owner)}


async def add_pending_pictures(**owners: str) -> None:
    await add_cocktails(*(cocktail_doc(name, image={"status": "pending"}) for name in owners))
    for name, owner in owners.items():
        await Cocktail.update({Cocktail.image_owner: owner}).where(Cocktail.name == name)


INTERRUPTED = ("interrupted", "interrupted", "the app stopped")


async def test_only_what_processes_without_a_live_lease_left_is_interrupted(
    database: Settings,
) -> None:
    now = await database_now()
    await Lease.insert(
        Lease(owner="alive", renewed_at=now - timedelta(seconds=25)),
        Lease(owner="dead", renewed_at=now - timedelta(seconds=35)),
    )
    await Generation.insert(
        Generation(wish="alive", model="m", owner="alive"),
        Generation(wish="alive, running", model="m", owner="alive", status="running"),
        Generation(wish="dead", model="m", owner="dead"),
        Generation(wish="dead, running", model="m", owner="dead", status="running"),
        Generation(wish="gone", model="m", owner="gone"),  # its lease was given up
        Generation(wish="before leases", model="m"),
        Generation(wish="dead, done", model="m", owner="dead", status="done"),
    )
    await add_pending_pictures(Alive="alive", Dead="dead", Gone="gone", Old="")
    await add_cocktails(cocktail_doc("Ready", image={"status": "ready", "file": "a.webp"}))

    leases = Leases(30, SWEEPS)
    await leases.renew()

    assert await wishes() == {
        "alive": ("queued", "", ""),
        "alive, running": ("running", "", ""),
        "dead": INTERRUPTED,
        "dead, running": INTERRUPTED,
        "gone": INTERRUPTED,
        "before leases": INTERRUPTED,
        "dead, done": ("done", "", ""),
    }
    assert await pictures() == {
        "Alive": ("pending", ""),
        "Dead": ("failed", "interrupted"),
        "Gone": ("failed", "interrupted"),
        "Old": ("failed", "interrupted"),
        "Ready": ("ready", ""),
    }
    # The dead process's lease is cleared away; the new one is taken.
    assert await lease_owners() == {"alive", leases.owner}


async def test_a_live_process_keeps_its_wishes_until_it_gives_its_lease_up(
    database: Settings,
) -> None:
    mine, other = Leases(1, SWEEPS), Leases(1, SWEEPS)
    await mine.start()
    await Generation.insert(Generation(wish="mine", model="m", owner=mine.owner))
    taken = await Lease.select(Lease.renewed_at).where(Lease.owner == mine.owner).first()
    try:
        await asyncio.sleep(2.5)  # 2.5 leases: renewed all along
        await other.renew()
        assert (await wishes())["mine"] == ("queued", "", "")
        renewed = await Lease.select(Lease.renewed_at).where(Lease.owner == mine.owner).first()
        assert renewed["renewed_at"] - taken["renewed_at"] >= timedelta(seconds=1.5)
    finally:
        await mine.close()
    # A clean shutdown records its own jobs' end (Jobs.shutdown); what it left is the
    # others' at once, without waiting for the lease to run out.
    assert await lease_owners() == {other.owner}
    await other.renew()
    assert (await wishes())["mine"] == INTERRUPTED


async def test_a_process_taken_for_dead_takes_its_lease_again(
    database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    leases = Leases(30, SWEEPS)
    await leases.renew()
    # Another process judged this one's lease expired (it stalled) and cleared it away.
    await Lease.delete().where(Lease.owner == leases.owner)
    with caplog.at_level(logging.WARNING, logger="barapp.leases"):
        await leases.renew()
    assert await lease_owners() == {leases.owner}
    assert "the lease was lost" in caplog.text


# SQLite has no clock but this host's: the test is PostgreSQL's alone.
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
async def test_leases_are_judged_by_the_database_clock_not_this_host(
    database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert database.is_postgres
    # Another host renewed its lease a moment ago, by the database's clock; this host's clock
    # runs an hour ahead.
    await Lease.insert(Lease(owner="other host", renewed_at=await database_now()))
    await Generation.insert(Generation(wish="theirs", model="m", owner="other host"))

    class Skewed(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Skewed:
            return cls.fromtimestamp(datetime.now(tz).timestamp() + 3600, tz)

    monkeypatch.setattr(leases_module, "datetime", Skewed)
    await Leases(30, SWEEPS).renew()
    assert (await wishes())["theirs"] == ("queued", "", "")
    assert await lease_owners() >= {"other host"}
