"""barapp: guests wish, a local LLM invents the cocktail live, every drink is kept."""

import os

# Piccolo finds its engine and apps through this module; set before any table is imported.
os.environ.setdefault("PICCOLO_CONF", "barapp.store.piccolo_conf")

__version__ = "0.1.0"
