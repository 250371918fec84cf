"""Where the project's non-Python files are. In the checkout, templates/, static/ and
migrations/ live at the top, next to src/ (the layout the stack prescribes); the wheel maps them
into the package (pyproject.toml), so an installed barapp finds them beside this file."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
ROOT = _PACKAGE if (_PACKAGE / "templates").is_dir() else _PACKAGE.parents[1]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
MIGRATIONS = ROOT / "migrations"
