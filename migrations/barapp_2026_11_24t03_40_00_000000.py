from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gallery indexes"

# Composite indexes for the gallery's keyset pagination, one per sort order, in plain SQL that
# SQLite and PostgreSQL both accept. A separate migration: Piccolo runs raw steps before it
# creates the tables of the same migration.
INDEXES = [
    "CREATE INDEX cocktail_by_date ON cocktail (visibility, created_at, id)",
    "CREATE INDEX cocktail_by_name ON cocktail (visibility, sort_name, id)",
    "CREATE INDEX cocktail_by_model ON cocktail (visibility, llm_model, created_at, id)",
    "CREATE INDEX generation_by_status ON generation (status, created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(create_indexes)
    return manager
