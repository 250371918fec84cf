"""The stored data: cocktails and the generations that produce them (Piccolo tables).

Only column types and constraints that both SQLite and PostgreSQL accept are used: the same
migrations run on both engines (see migrations/).
"""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    DoublePrecision,
    Float,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import Column, OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.readable import Readable
from piccolo.table import Table

from barapp.store.recipe import Recipe, fields
from barapp.store.statuses import GenerationStatus, ImageStatus, Visibility


def recipe_columns(struct: type[msgspec.Struct], prefix: str = "") -> dict[str, Column]:
    """One column per field of the recipe (`store/recipe.py`), nested structs flattened
    (`music_title`): a text with a limit of up to 200 characters is a VARCHAR of that length,
    a longer one TEXT; lists (ingredients, steps) are JSON."""
    columns: dict[str, Column] = {}
    for field in fields(struct):
        name, kind = prefix + field.name, field.type
        if isinstance(kind, msgspec.inspect.StructType):
            columns.update(recipe_columns(kind.cls, prefix=f"{name}_"))
        elif isinstance(kind, msgspec.inspect.StrType):
            length = kind.max_length
            default = field.default if isinstance(field.default, str) else ""
            short = length is not None and length <= 200
            columns[name] = (
                Varchar(length=length, default=default) if short else Text(default=default)
            )
        elif isinstance(kind, msgspec.inspect.BoolType):
            columns[name] = Boolean(default=field.default)
        elif isinstance(kind, msgspec.inspect.ListType):
            columns[name] = JSON(default=[])
        else:
            raise TypeError(f"no column type for {name}: {kind}")
    return columns


# A mixin built from the recipe: a field added to `Recipe` is a column here (and a migration).
RecipeColumns: Any = type("RecipeColumns", (), recipe_columns(Recipe))
RECIPE_COLUMNS = tuple(recipe_columns(Recipe))


class Cocktail(Table, RecipeColumns):  # type: ignore[misc]
    id = UUID(primary_key=True, default=UUID4())
    slug = Varchar(length=120, unique=True)
    # The recipe's columns (name, description, ingredients...) come from `RecipeColumns`.
    image_status = Varchar(length=20, default=ImageStatus.NONE)
    image_file = Varchar(length=200, default="")
    image_provider = Varchar(length=50, default="")
    image_model = Varchar(length=100, default="")
    # Why the picture is missing (a `PictureReason`), and what the service said.
    image_reason = Varchar(length=30, default="")
    image_detail = Text(default="")
    # The process drawing a pending picture (its lease: store/leases.py).
    image_owner = Varchar(length=32, default="")
    llm_model = Varchar(length=100, default="")
    wish = Text(default="")
    language = Varchar(length=5, default="fr")
    visibility = Varchar(length=10, default=Visibility.VISIBLE)
    featured = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # Derived, never shown: accent- and case-folded name + description + ingredient names,
    # so one portable LIKE serves the gallery search on both engines.
    search_text = Text(default="")
    # Derived: folded name, the key of the A->Z sort (collations differ between engines).
    sort_name = Varchar(length=200, default="")
    # Derived from the knowledge base (cocktails/derived.py), never exported: the estimated
    # ABV (null: unknown) and its sort key (-1 when unknown), the grams of alcohol, the
    # ingredients whose strength is unknown, the allergens as bits, the ingredient keys the
    # "makeable now" filter compares with the stock, and the version of barapp's base they
    # were derived with (older rows are derived again: `derived.rederive`).
    # (Double precision on both engines: a cursor's key reads back exactly.)
    abv = DoublePrecision(null=True, default=None)
    abv_key = DoublePrecision(default=-1.0)
    alcohol_g = DoublePrecision(null=True, default=None)
    strength_unknown = JSON(default=[])
    allergen_mask = Integer(default=0)
    ingredient_keys = JSON(default=[])
    derived_version = Varchar(length=16, default="")
    # Guests' ratings (ratings/), kept on the row for the cards and the "Most loved" sort:
    # the votes, their sum of stars, and the sort key (`ratings.loved.score`; 0 with no vote).
    rating_count = Integer(default=0)
    rating_sum = Integer(default=0)
    loved_key = DoublePrecision(default=0.0)

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
    status = Varchar(length=20, default=GenerationStatus.QUEUED)
    # The process running the wish (its lease: store/leases.py).
    owner = Varchar(length=32, default="")
    # The token rendered with the wish's form: a second POST of the same form (a double tap,
    # a resent request) finds this wish instead of making a second drink.
    form_token = Varchar(length=32, null=True, default=None, unique=True)
    # The allergens the guest ticked ("egg"...): its "Try again" keeps them.
    avoid = JSON(default=[])
    # Why it failed (a `FailureReason`) and the details; for a refusal, the model's message.
    reason = Varchar(length=30, default="")
    detail = Text(default="")
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
    """A refused login, counted per (account, address) and per address to slow down guessing
    from that address (never the account everywhere)."""

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


class ShelfItem(Table):
    """An ingredient the bar keeps (`shelf/stock.py`): one of the knowledge base's, by its key,
    or the bar's own (`custom`, its facts given here). Off the shelf it stays listed, out of
    stock, so that turning it back on is one tap."""

    id = UUID(primary_key=True, default=UUID4())
    # The knowledge base's key (shelf/ingredients.csv), or "custom-<folded name>".
    key = Varchar(length=100, unique=True)
    name_en = Varchar(length=100, default="")
    name_fr = Varchar(length=100, default="")
    category = Varchar(length=20, default="other")
    abv = Float(null=True, default=None)
    allergens = JSON(default=[])
    in_stock = Boolean(default=True)
    custom = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Rating(Table):
    """A guest's vote for a drink (ratings/): 1 to 5 stars, one per guest session and drink,
    changeable. The drink's row keeps the totals (`rating_count`, `rating_sum`, `loved_key`)."""

    id = UUID(primary_key=True, default=UUID4())
    cocktail = ForeignKey(references=Cocktail, on_delete=OnDelete.cascade)
    guest = Varchar(length=64)  # the guest session's id (web/sessions.py)
    stars = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Lease(Table):
    """A running barapp process's claim on the wishes and pictures it works on (their `owner`
    columns), renewed while it lives (store/leases.py)."""

    owner = Varchar(length=32, primary_key=True)
    renewed_at = Timestamptz()


TABLES: list[type[Table]] = [
    Cocktail,
    Generation,
    Bartender,
    BartenderSession,
    LoginFailure,
    BarSetting,
    Lease,
    ShelfItem,
    Rating,
]
