"""Piccolo's configuration module (PICCOLO_CONF points here, set in barapp/__init__.py).

`DB` is replaced by `barapp.store.db.use_engine()` once the settings are known; the value here only
serves Piccolo's own CLI (`piccolo migrations new barapp --auto`) run from the project root.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine

DB: Engine[Any] = SQLiteEngine(path="data/barapp.sqlite3")

APP_REGISTRY = AppRegistry(apps=["barapp.store.piccolo_app"])
