"""The gallery's query: filters from the URL, and keyset pagination (never OFFSET: a deep page
costs what the first one does).

Whatever the URL holds, a gallery page is a 200 or a 400, never an error of the database: the
text is cleaned (`text.clean`, again here since a query can be built without a request), at
most `MAX_TERMS` words are searched, each one quoted for FTS5, and a cursor is decoded into
exactly its three typed parts or refused as `BadCursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.engine.sqlite import SQLiteEngine

from barapp.cocktails.derived import ALLERGEN_BITS, STRENGTHS, mask_of
from barapp.cocktails.model import fold
from barapp.shelf.knowledge import Allergen
from barapp.store.db import current_engine
from barapp.store.tables import RECIPE_COLUMNS, Cocktail
from barapp.text import clean
from barapp.web.errors import BadCursor, BadFilter

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100
# Words searched, the first ones: each is a LIKE and an FTS5 phrase, and a few dozen phrases
# overflow FTS5's parser (a search of 30 U+FDFA, each folded into four Arabic words, did).
MAX_TERMS = 8
# Longer than any cursor a page writes (a sort key of a few hundred characters and an id).
MAX_CURSOR = 8192
CURSOR_CHARACTERS = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
# sort -> (column of the sort key, descending?)
SORTS: dict[str, tuple[str, bool]] = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "name": ("sort_name", False),
    "name_desc": ("sort_name", True),
    # Strongest first; a drink of unknown strength (abv_key -1) after every known one.
    "strength": ("abv_key", True),
    # Most loved first (ratings/loved.py's score, kept on the row); unrated drinks (0) last.
    "loved": ("loved_key", True),
}
# Sorts whose key is a number (a double, written in a cursor as its exact repr).
NUMERIC_KEYS = ("abv_key", "loved_key")
ALCOHOL = ("", "alcoholic", "virgin")
ALLERGENS = tuple(ALLERGEN_BITS)
# Text search on SQLite: when the trigram index finds at most this many cocktails, the page is
# read from them, then sorted (about 20 ms for 2,000, in any sort order). With more, walking the
# sort order's index and testing LIKE row by row fills a page sooner (about 10 ms for a term in
# 2% of 100,000 cocktails), provided the matches are spread along that order.
FEW_MATCHES = 2000
# What a card shows: the recipe but its long parts, and what the card links and sorts by.
NOT_ON_CARDS = ("steps", "image_prompt")
CARD_COLUMNS = [
    *(getattr(Cocktail, name) for name in RECIPE_COLUMNS if name not in NOT_ON_CARDS),
    Cocktail.id,
    Cocktail.slug,
    Cocktail.llm_model,
    Cocktail.image_status,
    Cocktail.image_file,
    Cocktail.created_at,
    Cocktail.sort_name,
    Cocktail.visibility,
    Cocktail.featured,
    Cocktail.language,  # a card in another language than the page's says so (lang)
    # What the card says of its strength and allergens (cocktails/derived.py), and the
    # garnish and ingredient keys they were derived from.
    Cocktail.garnish,
    Cocktail.abv,
    Cocktail.abv_key,
    Cocktail.alcohol_g,
    Cocktail.strength_unknown,
    Cocktail.allergen_mask,
    Cocktail.derived_version,
    # What the card says of its rating (ratings/), and the "Most loved" sort's key.
    Cocktail.rating_count,
    Cocktail.rating_sum,
    Cocktail.loved_key,
]
# The "Featured" strip above the first page: the newest featured visible cocktails.
FEATURED_COUNT = 6


@dataclass(frozen=True)
class GalleryQuery:
    q: str = ""
    model: str = ""
    alcohol: str = ""
    sort: str = "newest"
    after: str = ""
    terms: tuple[str, ...] = field(default=(), compare=False)
    # "all": hidden and pending cocktails too (a bartender's view).
    show: str = ""
    # Only drinks whose every ingredient is in stock on the shelf.
    makeable: bool = False
    # light | medium | strong (derived.STRENGTHS).
    strength: str = ""
    # Allergens the drinks must not have, in the order of `ALLERGENS`.
    without: tuple[Allergen, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, str], bartender: bool = False) -> GalleryQuery:
        """The query of the URL's parameters. `show=all` is honoured for a bartender only
        (ignored for a guest, who only ever sees visible cocktails). `without` may be given
        several times (a multi-dict's `getall`)."""
        q = " ".join(clean(params.get("q", "")).split())
        if len(q) > MAX_QUERY_LENGTH:
            raise BadFilter("q", q[:20] + "…")
        model = clean(params.get("model", "")).strip()
        if len(model) > 100:
            raise BadFilter("model", model[:20] + "…")
        alcohol = params.get("alcohol", "")
        if alcohol not in ALCOHOL:
            raise BadFilter("alcohol", alcohol, ALCOHOL[1:])
        sort = params.get("sort", "") or "newest"
        if sort not in SORTS:
            raise BadFilter("sort", sort, tuple(SORTS))
        after = params.get("after", "")
        show = params.get("show", "") if bartender else ""
        if show not in ("", "all"):
            raise BadFilter("show", show, ("all",))
        makeable = params.get("makeable", "")
        if makeable not in ("", "1"):
            raise BadFilter("makeable", makeable, ("1",))
        strength = params.get("strength", "")
        if strength not in ("", *STRENGTHS):
            raise BadFilter("strength", strength, tuple(STRENGTHS))
        getall = getattr(params, "getall", None)
        given = getall("without", []) if getall else [params.get("without", "")]
        without: set[Allergen] = set()
        for value in filter(None, given):  # an empty one is no choice, as for the others
            if value not in ALLERGENS:
                raise BadFilter("without", clean(value)[:20], ALLERGENS)
            without.add(Allergen(value))
        # A word said twice is searched once.
        terms = tuple(dict.fromkeys(fold(q).split()))[:MAX_TERMS]
        query = cls(
            q,
            model,
            alcohol,
            sort,
            after,
            terms,
            show,
            makeable == "1",
            strength,
            tuple(a for a in ALLERGENS if a in without),
        )
        if after:
            query.cursor()  # validates
        return query

    def params(self, **changes: str) -> list[tuple[str, str]]:
        """The non-default parameters, in one order, so that URLs stay short, shareable and
        canonical (`without` once per allergen, in the order of ALLERGENS)."""
        current: GalleryQuery = replace(self, **changes)  # type: ignore[arg-type]
        values = [
            ("q", current.q),
            ("model", current.model),
            ("alcohol", current.alcohol),
            ("strength", current.strength),
            ("makeable", "1" if current.makeable else ""),
            *(("without", str(a)) for a in current.without),
            ("sort", "" if current.sort == "newest" else current.sort),
            ("after", current.after),
            ("show", current.show),
        ]
        return [(k, v) for k, v in values if v]

    def url(self, **changes: str) -> str:
        params = self.params(**changes)
        return "/cocktails" + ("?" + urlencode(params) if params else "")

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q or self.model or self.alcohol or self.makeable or self.strength or self.without
        )

    def cursor(self) -> tuple[Any, uuid.UUID] | None:
        """The last card's sort key and id from `after`; BadCursor unless a page of this sort
        wrote it (cut, altered, or another sort's)."""
        if not self.after:
            return None
        if len(self.after) > MAX_CURSOR or not CURSOR_CHARACTERS.match(self.after):
            raise BadCursor(self.after)
        try:
            sort, key, ident = msgspec.json.decode(
                base64.urlsafe_b64decode(self.after), type=tuple[str, str, uuid.UUID]
            )
            if sort != self.sort or clean(key) != key:
                raise ValueError(sort)
            if SORTS[self.sort][0] in NUMERIC_KEYS:
                number = float(key)
                if not math.isfinite(number):
                    raise ValueError(key)
                return number, ident
            if SORTS[self.sort][0] != "created_at":
                return key, ident
            moment = datetime.fromisoformat(key)
            if moment.tzinfo is None:
                raise ValueError(key)
            # In UTC, as stored: an offset at year 1 or 9999 overflows here, not in the driver.
            return moment.astimezone(UTC), ident
        except (ValueError, binascii.Error, msgspec.DecodeError, OverflowError):
            raise BadCursor(self.after) from None


def encode_cursor(sort: str, row: Mapping[str, Any]) -> str:
    column = SORTS[sort][0]
    if column == "created_at":
        key = row[column].isoformat()
    elif column in NUMERIC_KEYS:
        key = repr(float(row[column]))  # read back exactly (a float's repr round-trips)
    else:
        key = row[column]
    raw = msgspec.json.encode([sort, key, str(row["id"])])
    return base64.urlsafe_b64encode(raw).decode()


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _trigram_match(terms: tuple[str, ...]) -> str:
    """The FTS5 query (SQLite) for the terms the trigram index can serve, those of 3 characters or
    more: each one a quoted phrase, which matches it as a substring, with no FTS5 syntax or LIKE
    wildcard in it. Case-insensitive, so it finds at least what the LIKE finds."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms if len(term) >= 3)


async def _visible(terms: tuple[str, ...], everything: bool = False) -> Combinable | None:
    """The filter on visible cocktails, which sets the plan of a text search on SQLite.
    `everything` (a bartender's `show=all`): no filter on visibility."""
    match = _trigram_match(terms) if isinstance(current_engine(), SQLiteEngine) else ""
    if not match or not await _has_few_matches(match):
        return None if everything else Cocktail.visibility == "visible"
    # Few matches: SQLite would still walk a (visibility, sort key) index and test every row,
    # which reads the whole table for a rare term. The unary "+" keeps it off those indexes, so
    # it fetches the matches by rowid and sorts them. (PostgreSQL's planner makes this choice by
    # itself, from its pg_trgm index and statistics.)
    if everything:
        return WhereRaw(
            "rowid IN (SELECT rowid FROM cocktail_search WHERE cocktail_search MATCH {})", match
        )
    return WhereRaw(
        "+visibility = 'visible' AND rowid IN "
        "(SELECT rowid FROM cocktail_search WHERE cocktail_search MATCH {})",
        match,
    )


async def _has_few_matches(match: str) -> bool:
    """Whether the trigram index finds at most FEW_MATCHES cocktails (hidden ones included),
    counting no further than that: a few milliseconds, even for "gin" (most of it the query's
    own connection)."""
    rows = await Cocktail.raw(
        "SELECT count(*) AS found FROM (SELECT 1 FROM cocktail_search "
        "WHERE cocktail_search MATCH {} LIMIT {})",
        match,
        FEW_MATCHES + 1,
    )
    found: int = rows[0]["found"]
    return found <= FEW_MATCHES


@dataclass
class Page:
    cards: list[dict[str, Any]]
    next_after: str | None


def _makeable(stocked: frozenset[str]) -> WhereRaw:
    """Every ingredient key of the drink is in stock: no key outside the stocked ones. Tested
    row by row along the sort order's index (a few microseconds each), which stops at a page."""
    stock = json.dumps(sorted(stocked))
    if isinstance(current_engine(), SQLiteEngine):
        return WhereRaw(
            "NOT EXISTS (SELECT 1 FROM json_each(ingredient_keys) "
            "WHERE value NOT IN (SELECT value FROM json_each({})))",
            stock,
        )
    # jsonb containment: the drink's keys are a subset of the stock.
    return WhereRaw("ingredient_keys::jsonb <@ {}::jsonb", stock)


def _without(mask: int) -> WhereRaw:
    """No allergen of `mask`. On PostgreSQL as the list of the masks allowed (a few hundred
    at most), which its planner estimates from the column's statistics; it takes "& = 0" for
    0.5% of the rows and, beside another filter, then reads and sorts the whole table."""
    if isinstance(current_engine(), SQLiteEngine):
        return WhereRaw("(allergen_mask & {}) = 0", mask)
    allowed = [m for m in range(1 << len(ALLERGEN_BITS)) if not m & mask]
    return WhereRaw("allergen_mask = ANY({}::int[])", allowed)


def _strength(band: str) -> WhereRaw:
    low, high = STRENGTHS[band]
    if low is None:
        return WhereRaw("abv IS NOT NULL AND abv < {}", high)
    if high is None:
        return WhereRaw("abv > {}", low)
    return WhereRaw("abv >= {} AND abv <= {}", low, high)


async def fetch_page(query: GalleryQuery, stocked: frozenset[str] = frozenset()) -> Page:
    """A page of cards. `stocked`: the keys in stock on the shelf (for `makeable`)."""
    column, descending = SORTS[query.sort]
    select = Cocktail.select(*CARD_COLUMNS)
    visible = await _visible(query.terms, everything=query.show == "all")
    if visible is not None:
        select = select.where(visible)
    if query.model:
        select = select.where(Cocktail.llm_model == query.model)
    if query.alcohol:
        select = select.where(Cocktail.alcoholic == (query.alcohol == "alcoholic"))
    if query.strength:
        select = select.where(_strength(query.strength))
    if query.without:
        select = select.where(_without(mask_of(query.without)))
    if query.makeable:
        select = select.where(_makeable(stocked))
    # The LIKE is the definition of a match, whatever the plan: the trigram index only narrows.
    for term in query.terms:
        select = select.where(WhereRaw("search_text LIKE {} ESCAPE '\\'", _like_pattern(term)))
    cursor = query.cursor()
    if cursor:
        op = "<" if descending else ">"
        key, ident = cursor
        # A row-value comparison is an index range on both engines; the equivalent
        # "a < x OR (a = x AND id < y)" is only a filter, and a deep page then reads every
        # row before it.
        select = select.where(WhereRaw(f"({column}, id) {op} ({{}}, {{}})", key, ident))
    sort_column = getattr(Cocktail, column)
    rows = (
        await select.order_by(sort_column, ascending=not descending)
        .order_by(Cocktail.id, ascending=not descending)
        .limit(PAGE_SIZE + 1)
        .output(load_json=True)
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_after = encode_cursor(query.sort, rows[-1]) if more else None
    return Page(rows, next_after)


async def fetch_featured() -> list[dict[str, Any]]:
    """The featured visible cocktails, newest first (the strip above the first page)."""
    rows: list[dict[str, Any]] = (
        await Cocktail.select(*CARD_COLUMNS)
        .where((Cocktail.featured == True) & (Cocktail.visibility == "visible"))  # noqa: E712
        .order_by(Cocktail.created_at, ascending=False)
        .limit(FEATURED_COUNT)
        .output(load_json=True)
    )
    return rows


async def fetch_latest(count: int) -> list[dict[str, Any]]:
    """The `count` newest visible cocktails (the tablet's home), the gallery's first cards."""
    rows: list[dict[str, Any]] = (
        await Cocktail.select(*CARD_COLUMNS)
        .where(Cocktail.visibility == "visible")
        .order_by(Cocktail.created_at, ascending=False)
        .order_by(Cocktail.id, ascending=False)
        .limit(count)
        .output(load_json=True)
    )
    return rows


async def known_models() -> list[str]:
    """The models that made visible cocktails, for the filter's choices."""
    # A "loose index scan": one index probe per distinct model instead of reading the whole
    # index as SELECT DISTINCT does (25 ms at 100,000 cocktails, on every gallery page).
    rows = await Cocktail.raw(
        """
        WITH RECURSIVE models(name) AS (
            SELECT MIN(llm_model) FROM cocktail
            WHERE visibility = 'visible' AND llm_model > ''
            UNION ALL
            SELECT (SELECT MIN(llm_model) FROM cocktail
                    WHERE visibility = 'visible' AND llm_model > models.name)
            FROM models WHERE models.name IS NOT NULL
        )
        SELECT name FROM models WHERE name IS NOT NULL
        """
    )
    return [row["name"] for row in rows]
