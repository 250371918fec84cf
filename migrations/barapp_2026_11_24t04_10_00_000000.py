import sqlite3

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T04:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "trigram index for the gallery's text search"

# The gallery searches with `search_text LIKE '%term%'`, which no B-tree index can serve: a rare
# term made every page read the whole table. Each engine gets its own trigram index; the LIKE
# stays in the query, so the results are the same with or without it (see barapp.gallery).

# PostgreSQL: the planner uses a pg_trgm GIN index for LIKE '%term%' by itself, when it expects
# few matches; for a common term, walking the sort order's index is faster. It estimates how
# common a term is from the column's histogram: with the default 100 values a term in 4% of the
# cocktails can find none and be taken for a rare one (measured: 21 ms instead of 2 ms), hence a
# larger histogram (about 0.5 ms more planning). pg_trgm is a trusted extension (PostgreSQL >= 13):
# the database owner may create it.
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX cocktail_search_trgm ON cocktail USING gin (search_text gin_trgm_ops)",
    "ALTER TABLE cocktail ALTER COLUMN search_text SET STATISTICS 500",
    "ANALYZE cocktail",
]

# SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34) over cocktail.search_text.
# External content: it stores only the index (40 MB for 100,000 cocktails), read back through
# cocktail's rowid, and triggers keep it in step with every write
# (https://sqlite.org/fts5.html#external_content_tables). detail=full (the default) is what lets
# a quoted phrase match any substring of 3 characters or more; case-insensitive, like LIKE.
# cocktail's rowid is implicit (its key is a UUID): VACUUM keeps it in practice but SQLite does
# not promise so; `INSERT INTO cocktail_search (cocktail_search) VALUES ('rebuild')` re-indexes.
SQLITE = [
    """
    CREATE VIRTUAL TABLE cocktail_search USING fts5(
        search_text, content='cocktail', content_rowid='rowid', tokenize='trigram'
    )
    """,
    """
    CREATE TRIGGER cocktail_search_insert AFTER INSERT ON cocktail BEGIN
        INSERT INTO cocktail_search (rowid, search_text) VALUES (new.rowid, new.search_text);
    END
    """,
    """
    CREATE TRIGGER cocktail_search_delete AFTER DELETE ON cocktail BEGIN
        INSERT INTO cocktail_search (cocktail_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    END
    """,
    """
    CREATE TRIGGER cocktail_search_update AFTER UPDATE OF search_text ON cocktail BEGIN
        INSERT INTO cocktail_search (cocktail_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO cocktail_search (rowid, search_text) VALUES (new.rowid, new.search_text);
    END
    """,
    # Index the cocktails that are already there.
    "INSERT INTO cocktail_search (cocktail_search) VALUES ('rebuild')",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="barapp", description=DESCRIPTION)

    async def create_search_index():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            statements = POSTGRES
        elif engine.engine_type == "sqlite":
            if sqlite3.sqlite_version_info < (3, 34, 0):
                raise RuntimeError(
                    "barapp needs SQLite 3.34 or newer (FTS5 trigram tokenizer); "
                    f"this Python uses SQLite {sqlite3.sqlite_version}"
                )
            statements = SQLITE
        else:
            raise RuntimeError(f"unsupported database engine: {engine.engine_type}")
        for sql in statements:
            await engine.run_ddl(sql)

    manager.add_raw(create_search_index)
    return manager
