"""Where the project's non-Python files are: templates/, static/ and migrations/ live at the
top of the checkout (the layout the stack prescribes), next to src/."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
MIGRATIONS = ROOT / "migrations"
