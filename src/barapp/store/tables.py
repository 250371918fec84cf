"""The stored data: cocktails and the generations that produce them (Piccolo tables).

Only column types and constraints that both SQLite and PostgreSQL accept are used: the same
migrations run on both engines (see migrations/).
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.readable import Readable
from piccolo.table import Table

VISIBILITIES = ("visible", "hidden", "pending")
IMAGE_STATUSES = ("none", "pending", "ready", "failed", "filtered")
GENERATION_STATUSES = ("queued", "running", "done", "failed", "stopped", "interrupted", "refused")


class Cocktail(Table):
    id = UUID(primary_key=True, default=UUID4())
    slug = Varchar(length=120, unique=True)
    name = Varchar(length=200)
    description = Text(default="")
    # A list of {"name", "amount", "unit", "note"}; amount is a number or null ("top up").
    ingredients = JSON(default=[])
    steps = JSON(default=[])
    glass = Varchar(length=100, default="")
    garnish = Varchar(length=200, default="")
    alcoholic = Boolean(default=True)
    music_title = Varchar(length=200, default="")
    music_artist = Varchar(length=200, default="")
    image_prompt = Text(default="")
    image_status = Varchar(length=20, default="none")
    image_file = Varchar(length=200, default="")
    image_provider = Varchar(length=50, default="")
    image_model = Varchar(length=100, default="")
    image_error = Text(default="")
    llm_model = Varchar(length=100, default="")
    wish = Text(default="")
    language = Varchar(length=5, default="fr")
    visibility = Varchar(length=10, default="visible")
    featured = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # Derived, never shown: accent- and case-folded name + description + ingredient names,
    # so one portable LIKE serves the gallery search on both engines.
    search_text = Text(default="")
    # Derived: folded name, the key of the A->Z sort (collations differ between engines).
    sort_name = Varchar(length=200, default="")

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class Generation(Table):
    id = UUID(primary_key=True, default=UUID4())
    wish = Text()
    model = Varchar(length=100)
    language = Varchar(length=5, default="fr")
    # Who asked, for the guests' hourly quota: a hash of the guest's session cookie, and the
    # client address. Never shown.
    guest = Varchar(length=64, default="", index=True)
    ip = Varchar(length=64, default="", index=True)
    status = Varchar(length=20, default="queued")
    error = Text(default="")
    # Deleting a cocktail keeps the record of how it was made.
    cocktail = ForeignKey(references=Cocktail, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    first_token_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    prompt_tokens = Integer(null=True, default=None)
    output_tokens = Integer(null=True, default=None)
    # Ollama's own durations (seconds), from the final stats chunk.
    load_seconds = Float(null=True, default=None)
    eval_seconds = Float(null=True, default=None)


class Bartender(Table):
    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=50, unique=True)
    # argon2id, with its salt and parameters inside the string.
    password_hash = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class BartenderSession(Table):
    """A logged-in tablet. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database opens no session. Deleting the row logs the tablet out."""

    id = Varchar(length=64, primary_key=True)
    bartender = ForeignKey(references=Bartender, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class LoginFailure(Table):
    """A refused login, counted per account and per address to slow down guessing."""

    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=50, index=True)
    ip = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow())


class BarSetting(Table):
    """A bar setting a bartender changed in the settings page (JSON value); an absent key
    falls back to its environment variable."""

    key = Varchar(length=50, primary_key=True)
    value = JSON()
    updated_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [
    Cocktail,
    Generation,
    Bartender,
    BartenderSession,
    LoginFailure,
    BarSetting,
]
