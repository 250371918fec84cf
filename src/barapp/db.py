"""Database engines, the write transaction, and migrations, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
from typing import Any

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from barapp import piccolo_conf
from barapp.settings import Settings
from barapp.tables import TABLES


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


def write_transaction() -> Any:
    """A transaction for writes. On SQLite it takes the write lock at BEGIN (IMMEDIATE):
    a deferred read-then-write transaction fails with "database is locked" under concurrency."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def migrate() -> None:
    """Apply every pending migration from the top-level migrations/ folder."""
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}")


async def start(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
