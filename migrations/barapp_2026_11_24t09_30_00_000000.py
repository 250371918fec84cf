from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of the featured strip and the generation log"

# The gallery's "Featured" strip reads the few featured cocktails on every first page: without
# its index it would walk every visible cocktail to find them. The bartenders' generation log
# ("all" statuses) reads the newest generations.
INDEXES = [
    "CREATE INDEX cocktail_featured ON cocktail (featured, visibility, created_at)",
    "CREATE INDEX generation_by_date ON generation (created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
