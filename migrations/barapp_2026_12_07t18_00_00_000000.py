from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "generation.avoid: the allergens the guest ticked on the wish form"

# After barapp_2026_12_07t16_00_00_000000 (the shelf). JSON as Piccolo's own DDL writes it,
# which both engines accept.
STEPS = ["ALTER TABLE generation ADD COLUMN avoid JSON NOT NULL DEFAULT '[]'"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def add_avoid():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)

    manager.add_raw(add_avoid)
    return manager
