"""Registers barapp's tables and its top-level migrations/ folder with Piccolo."""

from piccolo.conf.apps import AppConfig

from barapp.paths import MIGRATIONS
from barapp.store.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="barapp",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=list(TABLES),
)
