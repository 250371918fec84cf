"""Leases: which barapp process runs which wish and which picture, so that a process recovers
only what a dead one left.

Several processes may share one database. Each names itself on the rows it works on (an owner
column: `Generation.owner`, `Cocktail.image_owner`) and keeps one `Lease` row renewed while it
lives. An unfinished row whose owner holds no live lease (none renewed within LEASE_SECONDS, or
no owner at all: rows from before leases) was left by a process that died: nobody will finish
it, so it is marked interrupted. A process looks for such rows when it starts and at each
renewal; the rows of a live process are never touched. What an unfinished row is, and what
"interrupted" writes, belong to the features (`Sweep`): store/ knows none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from barapp.store import db
from barapp.store.tables import Lease

log = logging.getLogger("barapp.leases")

Orphaned = Callable[[Any], Any]
"""Given a table's owner column, the condition "the process named there holds no live lease"."""

Sweep = Callable[[Orphaned], Any]
"""A feature's update query: its unfinished rows that are `Orphaned`, marked interrupted."""

RENEWALS_PER_LEASE = 3
"""A lease is renewed three times in its life: one late or failed renewal does not lose it."""


class Leases:
    """This process's lease: taken at start-up, renewed by a background task (one UPDATE of
    one row, however many wishes and pictures the process runs), given up at shutdown."""

    def __init__(self, seconds: float, sweeps: Sequence[Sweep]) -> None:
        # Made per app, not per import: each `barapp serve` process, or forked worker, is one
        # owner of its own.
        self.owner = secrets.token_hex(16)
        self.seconds = seconds
        self.sweeps = sweeps
        self._held = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the lease and recover what dead processes left; then keep renewing."""
        await self.renew()
        self._task = asyncio.create_task(self._keep(), name="leases")

    async def renew(self) -> None:
        """One tick: renew this process's lease, then recover what dead processes left."""
        await db.write(self._renew)

    async def close(self) -> None:
        """Once this process's jobs have recorded how they ended (a shutdown interrupts them):
        give the lease up, so that the others recover at once whatever they could not record."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await db.write(lambda: Lease.delete().where(Lease.owner == self.owner))
        except Exception:
            log.exception("could not give the lease up; it expires in %s s", self.seconds)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / RENEWALS_PER_LEASE)
            try:
                await self.renew()
            except Exception:
                # A database away for a moment must not end the renewals: the next one may work.
                log.exception("could not renew the lease")

    async def _renew(self) -> None:
        now = await database_now()
        renewed = (
            await Lease.update({Lease.renewed_at: now})
            .where(Lease.owner == self.owner)
            .returning(Lease.owner)
        )
        if not renewed:
            if self._held:
                # This process stalled past its lease and another took it for dead: its
                # running wishes were marked interrupted (those that finish say so again).
                log.warning("the lease was lost and is taken again")
            await Lease.insert(Lease(owner=self.owner, renewed_at=now))
            self._held = True
        cutoff = now - timedelta(seconds=self.seconds)
        live = Lease.select(Lease.owner).where(Lease.renewed_at > cutoff)
        for sweep in self.sweeps:
            await sweep(lambda owner: owner.not_in(live))
        await Lease.delete().where(Lease.renewed_at <= cutoff)


async def database_now() -> datetime:
    """The time by which every lease is written and judged: the database's clock.

    Hosts sharing a PostgreSQL database may disagree on the time by seconds or more: a renewal
    written by one host's clock and judged by another's would take a live process for dead
    (and interrupt its wishes), or a dead one for alive. PostgreSQL's `now()` is one clock for
    all of them. SQLite has no server: the processes that share its file must share one host
    (WAL mode needs shared memory), so this host's clock is the database's clock.
    """
    if isinstance(db.current_engine(), PostgresEngine):
        rows = await Lease.raw("SELECT now() AS now")
        moment: datetime = rows[0]["now"]
        return moment
    return datetime.now(UTC)
