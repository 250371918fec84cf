"""Registers barapp's tables and its migrations folder with Piccolo, which imports every
migration module from that folder's path (barapp.paths: the checkout's or the installed one)."""

from piccolo.conf.apps import AppConfig

from barapp.paths import MIGRATIONS
from barapp.store.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="barapp",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=list(TABLES),
)
