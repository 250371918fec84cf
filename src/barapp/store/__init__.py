"""Where the data lives: the engine, the tables, writes, the bar's stored settings, migrations.

Knows nothing of HTTP or of any feature package (checked by import-linter)."""
