from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-07T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cocktail: strength, allergens and ingredient keys derived from the knowledge base"

# Existing rows get an empty derived_version: `barapp migrate` (cocktails/derived.rederive)
# derives them right after the migrations, with the code of the barapp that runs it.
STEPS = [
    "ALTER TABLE cocktail ADD COLUMN abv DOUBLE PRECISION",
    "ALTER TABLE cocktail ADD COLUMN abv_key DOUBLE PRECISION NOT NULL DEFAULT -1",
    "ALTER TABLE cocktail ADD COLUMN alcohol_g DOUBLE PRECISION",
    "ALTER TABLE cocktail ADD COLUMN strength_unknown JSON NOT NULL DEFAULT '[]'",
    "ALTER TABLE cocktail ADD COLUMN allergen_mask INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE cocktail ADD COLUMN ingredient_keys JSON NOT NULL DEFAULT '[]'",
    "ALTER TABLE cocktail ADD COLUMN derived_version VARCHAR(16) NOT NULL DEFAULT ''",
    # The sort by strength, strongest first, as the other sorts (keyset on (key, id)).
    "CREATE INDEX cocktail_by_strength ON cocktail (visibility, abv_key, id)",
]
# PostgreSQL: statistics on the expression "makeable now" tests (jsonb containment), so that
# its planner knows how many drinks a stock admits. Without them it guesses 0.1%, and with
# a strength or an allergen filter beside it, it reads and sorts the whole table (100 ms at
# 100,000 cocktails) instead of walking the sort's index for a page (1 ms).
POSTGRES_STEPS = [
    "CREATE STATISTICS cocktail_ingredient_keys ON ((ingredient_keys::jsonb)) FROM cocktail",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def add_derived_columns():
        engine = engine_finder()
        postgres = isinstance(engine, PostgresEngine)
        for sql in STEPS + (POSTGRES_STEPS if postgres else []):
            await engine.run_ddl(sql)

    manager.add_raw(add_derived_columns)
    return manager
