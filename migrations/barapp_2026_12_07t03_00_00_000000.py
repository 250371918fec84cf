from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "failure reasons and their details in columns of their own"

# A generation's `error` and a cocktail's `image_error` held "reason: detail" in one string,
# split again wherever it was read. Each becomes a reason column (one of the reasons of
# barapp/store/statuses.py) and a detail column; existing rows are split here, the same way on
# both engines (SQLite 3.35+ drops and renames columns).
SPLIT = """
UPDATE {table} SET
    {reason} = CASE WHEN instr({text}, ':') > 0
                    THEN trim(substr({text}, 1, instr({text}, ':') - 1)) ELSE trim({text}) END,
    {detail} = CASE WHEN instr({text}, ':') > 0
                    THEN trim(substr({text}, instr({text}, ':') + 1)) ELSE '' END
WHERE {text} <> ''
"""
# PostgreSQL has no instr(): strpos() is the same function.
STEPS = [
    "ALTER TABLE generation ADD COLUMN reason VARCHAR(30) NOT NULL DEFAULT ''",
    "ALTER TABLE generation ADD COLUMN detail TEXT NOT NULL DEFAULT ''",
    SPLIT.format(table="generation", reason="reason", detail="detail", text="error"),
    "ALTER TABLE generation DROP COLUMN error",
    "ALTER TABLE cocktail ADD COLUMN image_reason VARCHAR(30) NOT NULL DEFAULT ''",
    "ALTER TABLE cocktail RENAME COLUMN image_error TO image_detail",
    SPLIT.format(table="cocktail", reason="image_reason", detail="image_detail", text="image_detail"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def split():
        engine = engine_finder()
        for sql in STEPS:
            if engine.engine_type == "postgres":
                sql = sql.replace("instr(", "strpos(")
            await engine.run_ddl(sql)

    manager.add_raw(split)
    return manager
