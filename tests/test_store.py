"""The database layer on both engines: migrations, JSON columns, and SQLite's WAL and IMMEDIATE
write transactions."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
import uuid

from barapp.pictures.job import interrupt_orphaned_pictures
from barapp.settings import Settings
from barapp.store import db
from barapp.store.leases import Leases
from barapp.store.tables import Cocktail, Generation, Lease
from barapp.wishes.records import interrupt_orphaned_wishes
from tests.conftest import prepare_database
from tests.factories import add_cocktails, cocktail_doc


async def test_migrations_are_idempotent(database: Settings) -> None:
    with contextlib.redirect_stdout(io.StringIO()) as output:
        await db.migrate()
    assert "No migrations need to be run" in output.getvalue()


async def test_json_columns_and_timestamps_round_trip(database: Settings) -> None:
    await add_cocktails(
        cocktail_doc(
            "Paloma",
            ingredients=[{"name": "Tequila", "amount": 5, "unit": "cl", "note": "blanco"}],
            created_at="2026-05-05T16:45:00.123456+02:00",
        )
    )
    row = await Cocktail.select().first().output(load_json=True)
    assert row["ingredients"] == [
        {"name": "Tequila", "amount": 5.0, "unit": "cl", "note": "blanco"}
    ]
    assert row["steps"] == ["Stir with ice.", "Strain."]
    assert row["created_at"].isoformat() == "2026-05-05T14:45:00.123456+00:00"
    assert isinstance(row["id"], uuid.UUID)
    assert row["search_text"] == "paloma\na drink called paloma.\ntequila"


async def test_generation_records_link_to_their_cocktail(database: Settings) -> None:
    await add_cocktails(cocktail_doc("Paloma"))
    cocktail = await Cocktail.objects().first()
    generation = Generation(wish="something with tequila", model="llama3.1:8b", cocktail=cocktail)
    async with db.write_transaction():
        await generation.save()
    row = await Generation.select(Generation.cocktail.name, Generation.status).first()
    assert row == {"cocktail.name": "Paloma", "status": "queued"}
    # Removing a cocktail keeps the record of how it was made.
    await Cocktail.delete().where(Cocktail.id == cocktail.id)
    left = await Generation.select(Generation.cocktail, Generation.wish).first()
    assert left == {"cocktail": None, "wish": "something with tequila"}


async def test_sqlite_uses_wal(sqlite_settings: Settings) -> None:
    db.make_engine(sqlite_settings)
    with sqlite3.connect(sqlite_settings.sqlite_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_concurrent_read_then_write_transactions_all_succeed(database: Settings) -> None:
    # Each transaction reads, then writes: with SQLite's default DEFERRED mode most of them fail
    # with "database is locked"; IMMEDIATE makes them wait their turn instead.
    await add_cocktails(cocktail_doc("Counter", glass="0"))

    async def bump() -> None:
        async with db.write_transaction():
            row = await Cocktail.select(Cocktail.glass).where(Cocktail.slug == "counter").first()
            await asyncio.sleep(0.001)
            await Cocktail.update({Cocktail.glass: str(int(row["glass"]) + 1)}).where(
                Cocktail.slug == "counter"
            )

    await asyncio.gather(*(bump() for _ in range(30)))
    row = await Cocktail.select(Cocktail.glass).where(Cocktail.slug == "counter").first()
    if database.is_postgres:
        # READ COMMITTED: lost updates are possible, but no transaction may fail.
        assert 1 <= int(row["glass"]) <= 30
    else:
        assert row["glass"] == "30"


async def test_reasons_move_to_columns_of_their_own_on_both_engines(settings: Settings) -> None:
    # A database as the previous release left it: "reason: detail" in one column.
    await prepare_database(settings, up_to="2026-11-24T09:30:00:000000")
    engine = db.current_engine()
    cocktail = uuid.uuid4()
    await engine.run_ddl(
        "INSERT INTO generation (id, wish, model, status, error) VALUES "
        f"('{uuid.uuid4()}', 'w1', 'm', 'failed', 'stalled: no token for 60 s'),"
        f"('{uuid.uuid4()}', 'w2', 'm', 'done', ''),"
        f"('{uuid.uuid4()}', 'w3', 'm', 'failed', 'internal')"
    )
    await engine.run_ddl(
        "INSERT INTO cocktail (id, slug, name, image_status, image_error) VALUES "
        f"('{cocktail}', 'c', 'C', 'failed', 'no_credits: 402: Payment required: top up')"
    )
    with contextlib.redirect_stdout(io.StringIO()):
        await db.migrate()
    rows = await Generation.select(Generation.wish, Generation.reason, Generation.detail)
    split = {row["wish"]: (row["reason"], row["detail"]) for row in rows}
    assert split == {
        "w1": ("stalled", "no token for 60 s"),
        "w2": ("", ""),
        "w3": ("internal", ""),
    }
    row = await Cocktail.select(Cocktail.image_reason, Cocktail.image_detail).first()
    assert row == {"image_reason": "no_credits", "image_detail": "402: Payment required: top up"}


async def test_leases_come_to_an_old_database_and_its_unfinished_rows_are_recovered(
    settings: Settings,
) -> None:
    # A database as the previous release left it, with a wish and a picture under way when it
    # stopped: no owners, no leases.
    await prepare_database(settings, up_to="2026-12-07T03:00:00:000000")
    engine = db.current_engine()
    await engine.run_ddl(
        f"INSERT INTO generation (id, wish, model, status) VALUES ('{uuid.uuid4()}', 'w', 'm', 'queued')"
    )
    await engine.run_ddl(
        f"INSERT INTO cocktail (id, slug, name, image_status) VALUES ('{uuid.uuid4()}', 'c', 'C', 'pending')"
    )
    with contextlib.redirect_stdout(io.StringIO()):
        await db.migrate()
    assert await Generation.select(Generation.owner, Generation.status) == [
        {"owner": "", "status": "queued"}
    ]
    assert await Cocktail.select(Cocktail.image_owner) == [{"image_owner": ""}]
    assert await Lease.count() == 0
    # Owned by nobody: the first start marks them, as every start did before leases.
    leases = Leases(30, [interrupt_orphaned_wishes, interrupt_orphaned_pictures])
    await leases.renew()
    assert await Generation.select(Generation.status, Generation.reason) == [
        {"status": "interrupted", "reason": "interrupted"}
    ]
    assert await Cocktail.select(Cocktail.image_status) == [{"image_status": "failed"}]
    assert await Lease.select(Lease.owner) == [{"owner": leases.owner}]
