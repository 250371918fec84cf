"""Database engines, the write transaction, and migrations, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from barapp.settings import Settings
from barapp.store import piccolo_conf
from barapp.store.tables import TABLES


def make_engine(settings: Settings) -> Engine[Any]:
    if settings.is_postgres:
        # asyncpg prepares every query; after 5 runs PostgreSQL may switch a statement to a
        # generic plan, blind to the LIKE pattern. The gallery's search needs a plan per pattern
        # (trigram index for a rare term, sort index for a common one): measured, a few short
        # terms switch it for good, and then "gin" takes 55 ms instead of 2 ms.
        return PostgresEngine(
            config={
                "dsn": settings.database_url,
                "server_settings": {"plan_cache_mode": "force_custom_plan"},
            }
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the gallery read while a cocktail is being written; the mode persists in the
    # file, so setting it once per process is enough.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    return SQLiteEngine(path=str(path), timeout=15)


def use_engine(engine: Engine[Any]) -> None:
    """Point every table, Piccolo's migration bookkeeping and `engine_finder()` at `engine`.

    Tables cache their engine; tests switch between SQLite and PostgreSQL in one process.
    """
    piccolo_conf.DB = engine
    for table in [*TABLES, Migration]:
        table._meta.db = engine  # type: ignore[attr-defined]


def current_engine() -> Engine[Any]:
    engine: Engine[Any] = piccolo_conf.DB
    return engine


# One writer at a time per process and event loop (tests run several loops): SQLite allows
# one writer anyway, and its busy handler polls with sleeps, so a thousand writers racing for
# the lock starve some past any timeout ("database is locked"). Queued here, they take turns
# in order; the busy timeout is left for other processes.
_sqlite_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for bulk writes (an import). On SQLite it waits its turn among this
    event loop's writers, then takes the write lock at BEGIN (IMMEDIATE): a deferred
    read-then-write transaction fails with "database is locked" under concurrency."""
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine):
        async with engine.transaction() as transaction:
            yield transaction
        return
    if engine.current_transaction.get() is not None:  # nested: the outer one holds the turn
        async with engine.transaction() as transaction:
            yield transaction
        return
    lock = _sqlite_writers.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, engine.transaction(transaction_type=TransactionType.immediate) as tx:
        yield tx


T = TypeVar("T")


class StorageFault:
    """The last write that failed because the database cannot be written (read-only, full, an
    I/O error), until a write succeeds again: `/healthz` answers 503 with it."""

    fault: str = ""


_STORAGE_WORDS = ("readonly", "read-only", "read only", "disk is full", "disk i/o", "no space")
_STORAGE_SQLSTATES = ("25006", "53100", "53000", "58030")  # read-only, disk full, resources, I/O


def _is_storage_fault(exc: BaseException) -> bool:
    if getattr(exc, "sqlstate", None) in _STORAGE_SQLSTATES:  # asyncpg
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError | OSError) and any(
        w in text for w in _STORAGE_WORDS
    )


async def write(work: Callable[[], Awaitable[T]]) -> T:
    """`_write`, with what the outcome says of the storage noted in `StorageFault`."""
    try:
        result = await _write(work)
    except Exception as exc:
        if _is_storage_fault(exc):
            StorageFault.fault = f"{type(exc).__name__}: {exc}"[:300]
        raise
    StorageFault.fault = ""
    return result


async def _write(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` (database queries only) in one write transaction; return what it returns.

    On SQLite the transaction runs on the writer thread's own event loop. Each aiosqlite
    query is several hops between its thread and the loop; on a loop busy relaying hundreds
    of streams every hop waited its turn, so one wish's first write took 2 s at 500 wishes
    (measured). The writer's loop is idle, so its hops are immediate. (An import's
    `write_transaction` on the main loop meets these at SQLite's busy timeout.)
    """
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine):
        async with engine.transaction():
            result = await work()
        return result
    return await asyncio.wrap_future(_writer().submit(engine, work))


class _Writer:
    """A daemon thread with an event loop that runs SQLite write transactions one at a time."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.lock = asyncio.Lock()
        threading.Thread(target=self.loop.run_forever, name="sqlite-writer", daemon=True).start()

    def submit(
        self, engine: SQLiteEngine, work: Callable[[], Awaitable[T]]
    ) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(self._run(engine, work), self.loop)

    async def _run(self, engine: SQLiteEngine, work: Callable[[], Awaitable[T]]) -> T:
        async with self.lock, engine.transaction(transaction_type=TransactionType.immediate):
            result = await work()
        return result


_the_writer: _Writer | None = None
_writer_started = threading.Lock()


def _writer() -> _Writer:
    global _the_writer
    with _writer_started:
        if _the_writer is None:
            _the_writer = _Writer()
        return _the_writer


def shielded() -> contextlib.AbstractContextManager[Any]:
    """A block whose writes finish even when its task is being cancelled (a stopped or
    interrupted job must still record how it ended)."""
    import anyio

    return anyio.CancelScope(shield=True)


async def migrate(up_to: str = "all") -> None:
    """Apply every pending migration from the top-level migrations/ folder (or those up to the
    migration `up_to`, for a test of a migration)."""
    response = await run_forwards(app_name="barapp", migration_id=up_to, fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}")


async def start(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
