from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "generation.form_token: one wish per form sent"

# The wish form carries a random token; a second POST with it (a double tap on a tablet, a
# request the browser resent) is answered with the first wish. Unique, so that two processes
# racing on one token cannot both record it; rows from before have none (NULLs never clash).
STEPS = [
    "ALTER TABLE generation ADD COLUMN form_token VARCHAR(32)",
    "CREATE UNIQUE INDEX generation_form_token ON generation (form_token)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def add_form_token():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)

    manager.add_raw(add_form_token)
    return manager
