from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rating: guests' votes; cocktail.rating_count, rating_sum, loved_key"

# After barapp_2026_12_07t18_00_00_000000. The types Piccolo's own DDL uses, which both
# engines accept. One vote per guest and drink is the unique index; "Most loved" pages along
# (visibility, loved_key, id) as the other sorts do.
STEPS = [
    """CREATE TABLE rating (
        id UUID PRIMARY KEY NOT NULL,
        cocktail UUID NOT NULL REFERENCES cocktail (id) ON DELETE CASCADE,
        guest VARCHAR(64) NOT NULL,
        stars INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)""",
    "CREATE UNIQUE INDEX rating_one_per_guest ON rating (cocktail, guest)",
    "ALTER TABLE cocktail ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE cocktail ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE cocktail ADD COLUMN loved_key DOUBLE PRECISION NOT NULL DEFAULT 0",
    "CREATE INDEX cocktail_by_love ON cocktail (visibility, loved_key, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def create_rating():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)

    manager.add_raw(create_rating)
    return manager
