from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "shelf_item: what the bar stocks"

# The types Piccolo's own DDL uses, which both engines accept (UUID and BOOLEAN are converted
# on SQLite by the names Piccolo registers).
STEPS = [
    """CREATE TABLE shelf_item (
        id UUID PRIMARY KEY NOT NULL,
        key VARCHAR(100) NOT NULL UNIQUE,
        name_en VARCHAR(100) NOT NULL DEFAULT '',
        name_fr VARCHAR(100) NOT NULL DEFAULT '',
        category VARCHAR(20) NOT NULL DEFAULT 'other',
        abv REAL,
        allergens JSON NOT NULL DEFAULT '[]',
        in_stock BOOLEAN NOT NULL DEFAULT true,
        custom BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def create_shelf_item():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)

    manager.add_raw(create_shelf_item)
    return manager
