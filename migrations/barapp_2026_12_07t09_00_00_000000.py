from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "leases: which process runs which wish and which picture"

# Several processes may share a PostgreSQL database: each names itself on the wishes and the
# pictures it runs (`owner`, `image_owner`) and renews its `lease` row while it lives
# (barapp/store/leases.py). Rows from before this migration have no owner: the next start marks
# them interrupted, as every start did before. Every process looks for the rows of dead ones a
# few times a minute: the pending pictures get an index (the wishes' status has one).
STEPS = [
    "CREATE TABLE lease (owner VARCHAR(32) PRIMARY KEY NOT NULL, renewed_at TIMESTAMPTZ NOT NULL)",
    "ALTER TABLE generation ADD COLUMN owner VARCHAR(32) NOT NULL DEFAULT ''",
    "ALTER TABLE cocktail ADD COLUMN image_owner VARCHAR(32) NOT NULL DEFAULT ''",
    "CREATE INDEX cocktail_by_image_status ON cocktail (image_status)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def add_leases():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)

    manager.add_raw(add_leases)
    return manager
