"""Shelf seeding benchmark: how long the first visit to the shelf page takes to seed the shelf
from every saved cocktail's ingredients (`barapp.shelf.seed.seed_once`).

    python bench/shelf_seed.py [--db sqlite|postgres|both] [--rows 100000]
                               [--postgres-url postgresql://postgres@127.0.0.1:5432/barapp_bench]

The databases are filled as `bench/gallery.py` fills them (its rows and bulk loaders; the
PostgreSQL database is dropped and recreated, never the test-suite's). Timed: reading the
distinct ingredient names with the engine's JSON functions, matching them, and the write;
then a second call, which must find the marker and do nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gallery import (
    DEFAULT_POSTGRES_URL,
    build_rows,
    drop_postgres,
    fill_postgres,
    fill_sqlite,
    recreate_postgres,
)

from barapp.settings import Settings
from barapp.shelf import seed, stock
from barapp.store import db

TARGET_SECONDS = 2.0  # the first visit of the shelf page, at 100,000 drinks


async def _migrate(settings: Settings) -> None:
    engine = db.make_engine(settings)
    db.use_engine(engine)
    with contextlib.redirect_stdout(io.StringIO()):
        await db.migrate()


async def _time_seeding(settings: Settings) -> tuple[float, float, float, int, int]:
    engine = db.make_engine(settings)
    db.use_engine(engine)
    await db.start(engine)
    try:
        start = time.perf_counter()
        names = await seed.ingredient_names()
        read = time.perf_counter() - start
        start = time.perf_counter()
        seeding = await seed.seed_once()
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = await seed.seed_once()
        second = time.perf_counter() - start
        assert seeding is not None and again is None
        assert len(await stock.items()) == len(seeding.added)
        return read, first, second, len(names), len(seeding.added)
    finally:
        await db.stop(engine)


def _report(engine: str, rows: int, timings: tuple[float, float, float, int, int]) -> bool:
    read, first, second, names, added = timings
    ok = first <= TARGET_SECONDS
    print(
        f"{engine}: {rows:,} cocktails, {names} distinct ingredient names read in "
        f"{read * 1000:.0f} ms; seeding (read, match, write {added} items) {first * 1000:.0f} ms"
        f" (target {TARGET_SECONDS:.0f} s: {'ok' if ok else 'MISSED'}); "
        f"second call {second * 1000:.1f} ms",
        flush=True,
    )
    return ok


def bench_sqlite(rows: list[dict[str, Any]]) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="barapp-bench-shelf-"))
    try:
        settings = Settings(database_url=f"sqlite:///{workdir}/bench.sqlite3")
        asyncio.run(_migrate(settings))
        fill_sqlite(settings.sqlite_path, rows)
        return _report("sqlite", len(rows), asyncio.run(_time_seeding(settings)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench_postgres(rows: list[dict[str, Any]], url: str) -> bool:
    asyncio.run(recreate_postgres(url))
    try:
        settings = Settings(database_url=url, secret_key="bench-secret-key-not-for-production")
        asyncio.run(_migrate(settings))
        asyncio.run(fill_postgres(url, rows))
        return _report("postgres", len(rows), asyncio.run(_time_seeding(settings)))
    finally:
        asyncio.run(drop_postgres(url))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    # A database of its own: bench/gallery.py may be running beside it on barapp_bench.
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL + "_shelf")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = build_rows(args.rows)
    print(f"{len(rows):,} cocktails built in {time.perf_counter() - start:.1f} s", flush=True)
    ok = True
    if args.db in ("sqlite", "both"):
        ok &= bench_sqlite(rows)
    if args.db in ("postgres", "both"):
        ok &= bench_postgres(rows, args.postgres_url)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
