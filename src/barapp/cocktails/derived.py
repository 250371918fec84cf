"""What the knowledge base says of a cocktail, cached in its row for the gallery's filters and
cards: its strength, its allergens and the keys of its ingredients ("makeable now").

None of it is in the cocktail document (it is computed, never stored as truth). Every writer
gets it from `model.to_row` (import, a wish's save, a bartender's edit). It depends on the
knowledge base and the strength estimate, and of the shelf only on the allergens a bartender
gave the bar's own items (`stock.own_allergens`; when they change, the drinks holding those
items are derived again: `rederive_holding`). A recipe's keys are the base's
(`knowledge.key_of`): toggling a bottle changes nothing here, the gallery compares the keys
with the stock when it reads. When a new barapp ships another base or estimate, `VERSION`
changes and `rederive()` (run by `barapp migrate`, and by `barapp serve` on SQLite) brings the
older rows up to date, in batches.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import msgspec
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from piccolo.columns.combination import WhereRaw
from piccolo.engine.sqlite import SQLiteEngine

from barapp.shelf import allergens as allergen_text
from barapp.shelf import knowledge, stock, strength
from barapp.shelf.allergens import NONE_OWN, Own
from barapp.shelf.knowledge import Allergen
from barapp.store import db
from barapp.store.recipe import Ingredient
from barapp.store.tables import Cocktail
from barapp.web import i18n

# An allergen's bit in `allergen_mask` (a new allergen takes the next bit; the order enters
# VERSION, so a reordering rederives every row).
ALLERGEN_BITS: dict[Allergen, int] = {a: 1 << i for i, a in enumerate(Allergen)}
# The strength filter's bands (percent ABV as served): light below 10 (alcohol-free drinks
# too), medium 10 to 20, strong above 20. A drink of unknown strength is in none.
STRENGTHS: dict[str, tuple[float | None, float | None]] = {
    "light": (None, 10.0),
    "medium": (10.0, 20.0),
    "strong": (20.0, None),
}
# The sort key of a drink of unknown strength: after every known one, strongest first.
UNKNOWN_SORT = -1.0
# The convention by the bar's language when `standard_drink_grams` is 0.
GRAMS_BY_LANGUAGE = {"fr": 10, "en": 14}
DERIVED_COLUMNS = (
    "abv",
    "abv_key",
    "alcohol_g",
    "strength_unknown",
    "allergen_mask",
    "ingredient_keys",
    "derived_version",
)
BATCH = 500


@cache
def version() -> str:
    """A hash of what derived values follow from: the base, the estimate and this module."""
    digest = hashlib.sha256()
    shelf = resources.files("barapp.shelf")
    for name in ("ingredients.csv", "strength.py", "knowledge.py", "volumes.py", "allergens.py"):
        digest.update(shelf.joinpath(name).read_bytes())
    digest.update(resources.files("barapp.cocktails").joinpath("derived.py").read_bytes())
    digest.update(",".join(Allergen).encode())
    return digest.hexdigest()[:16]


def _as_dicts(ingredients: Iterable[Any]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(i) if isinstance(i, Ingredient) else dict(i) for i in ingredients]


def keys_of(ingredients: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct keys of the ingredients a bar must stock (water and ice it always has)."""
    keys = {knowledge.key_of(str(i.get("name", ""))) for i in ingredients}
    return sorted(keys - knowledge.ALWAYS_THERE)


def allergens_of(
    ingredients: Iterable[Mapping[str, Any]], garnish: str = "", own: Own = NONE_OWN
) -> int:
    """The allergen bits of the ingredients and the garnish (a garnish is in the glass: it
    counts) that the base knows, or the bar gave its own items (`own`)."""
    names = [*(str(i.get("name", "")) for i in ingredients), garnish]
    return mask_of(allergen_text.of_recipe(names, own))


def mask_of(allergens: Iterable[Allergen]) -> int:
    mask = 0
    for allergen in allergens:
        mask |= ALLERGEN_BITS[allergen]
    return mask


def allergens_in(mask: int) -> list[Allergen]:
    return [a for a, bit in ALLERGEN_BITS.items() if mask & bit]


def derive(
    ingredients: Sequence[Any],
    steps: Sequence[str],
    alcoholic: bool,
    garnish: str,
    own: Own = NONE_OWN,
) -> dict[str, Any]:
    """The derived columns of a recipe; `own`: the allergens of the bar's own items."""
    items = _as_dicts(ingredients)
    estimate = strength.estimate(items, list(steps))
    abv = estimate.abv
    alcohol_g: float | None = estimate.alcohol_g if abv is not None else None
    unknown = list(dict.fromkeys(estimate.unknown))
    if not alcoholic and not estimate.alcohol_g:
        # Said alcohol-free and nothing alcoholic found in it: 0 %, whatever the syrups are.
        abv, alcohol_g, unknown = 0.0, 0.0, []
    if abv is not None and not math.isfinite(abv):
        abv = None
    abv = round(abv, 1) if abv is not None else None
    return {
        "abv": abv,
        "abv_key": abv if abv is not None else UNKNOWN_SORT,
        "alcohol_g": round(alcohol_g, 2) if alcohol_g is not None else None,
        "strength_unknown": unknown,
        # What the steps and notes add in passing ("dry shake with an egg white") counts too.
        "allergen_mask": allergens_of(items, garnish, own)
        | mask_of(allergen_text.mentioned([*steps, *(str(i.get("note", "")) for i in items)])),
        "ingredient_keys": keys_of(items),
        "derived_version": version(),
    }


def derive_row(row: Mapping[str, Any], own: Own = NONE_OWN) -> dict[str, Any]:
    return derive(row["ingredients"], row["steps"], row["alcoholic"], row["garnish"], own)


def _holding(keys: frozenset[str]) -> WhereRaw:
    """Rows with one of `keys` among their ingredients' keys."""
    wanted = json.dumps(sorted(keys))
    if isinstance(db.current_engine(), SQLiteEngine):
        return WhereRaw(
            "EXISTS (SELECT 1 FROM json_each(ingredient_keys) "
            "WHERE value IN (SELECT value FROM json_each({})))",
            wanted,
        )
    return WhereRaw(
        "ingredient_keys::jsonb ?| ARRAY(SELECT jsonb_array_elements_text({}::jsonb))", wanted
    )


async def rederive_holding(keys: frozenset[str]) -> int:
    """The drinks holding one of the bar's own items `keys` derived again: a bartender changed
    those items' allergens (`stock.when_own_allergens_change`). Returns how many."""
    return await rederive(holding=keys)


def keep_in_step() -> None:
    """Listen to the shelf: the wiring calls it (`create_app`, the CLI), since shelf/ may not
    import this package."""
    stock.when_own_allergens_change("cocktails", rederive_holding)


async def rederive(batch: int = BATCH, holding: frozenset[str] | None = None) -> int:
    """Rows derived by another version of barapp derived again (or, with `holding`, the rows
    holding one of those keys); returns how many. Safe to run in several processes at once
    (each row's values are the same whoever writes them)."""
    own = await stock.own_allergens()
    done = 0
    after: Any = None
    while True:
        # Along the primary key from the last batch: one pass over the table in all.
        select = Cocktail.select(
            Cocktail.id,
            Cocktail.ingredients,
            Cocktail.steps,
            Cocktail.alcoholic,
            Cocktail.garnish,
        ).where(Cocktail.derived_version != version() if holding is None else _holding(holding))
        if after is not None:
            select = select.where(Cocktail.id > after)
        rows = await select.order_by(Cocktail.id).limit(batch).output(load_json=True)
        if not rows:
            return done
        async with db.write_transaction():
            for row in rows:
                values: dict[Any, Any] = derive_row(row, own)
                await Cocktail.update(values).where(Cocktail.id == row["id"])
        after = rows[-1]["id"]
        done += len(rows)


# --- What a card and a page show ------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """A drink's strength, allergens and, for a bartender, what is missing from the shelf."""

    abv: float | None
    standard_drinks: float | None
    grams: int
    unknown: tuple[str, ...]
    allergens: tuple[tuple[str, str], ...]  # (icon, translated label)
    missing: tuple[str, ...]


def grams_for(setting: int, lang: str) -> int:
    return setting or GRAMS_BY_LANGUAGE.get(lang, 10)


def missing_names(ingredients: Iterable[Mapping[str, Any]], stocked: frozenset[str]) -> list[str]:
    """The recipe's names of its ingredients not in stock, once each."""
    missing: dict[str, str] = {}
    for ingredient in ingredients:
        name = str(ingredient.get("name", ""))
        key = knowledge.key_of(name)
        if key not in stocked and key not in knowledge.ALWAYS_THERE:
            missing.setdefault(key, name)
    return list(missing.values())


def facts(
    cocktail: Mapping[str, Any],
    *,
    grams_setting: int,
    lang: str,
    gettext: Any,
    stocked: frozenset[str] | None = None,
) -> Facts:
    """The facts of a cocktail row (or of the values a wish saved). A row written before the
    derived columns existed is derived here, never shown as unknown."""
    if cocktail.get("derived_version"):
        values: Mapping[str, Any] = cocktail
    else:
        values = derive(
            cocktail.get("ingredients", []),
            cocktail.get("steps", []),
            bool(cocktail.get("alcoholic", True)),
            str(cocktail.get("garnish", "")),
        )
    grams = grams_for(grams_setting, lang)
    abv = values["abv"]
    alcohol = values["alcohol_g"]
    drinks = alcohol / grams if abv is not None and alcohol is not None else None
    shown = tuple(
        (allergen_text.ICONS[a], gettext(allergen_text.LABELS[a]))
        for a in allergens_in(int(values["allergen_mask"] or 0))
    )
    ingredients = _as_dicts(cocktail.get("ingredients", []))
    missing = tuple(missing_names(ingredients, stocked)) if stocked is not None else ()
    return Facts(
        abv=abv,
        standard_drinks=drinks,
        grams=grams,
        unknown=tuple(values["strength_unknown"] or ()),
        allergens=shown,
        missing=missing,
    )


@pass_context
def _drink_facts(ctx: Context, cocktail: Mapping[str, Any]) -> Facts:
    """`drink_facts(cocktail)` in a template: in the page's language, with the bar's
    standard drink, and the missing ingredients when the page was given the stock
    (`stocked`: a bartender's page, a shelf set up)."""
    lang = str(ctx.get("lang") or "en")
    return facts(
        cocktail,
        grams_setting=int(ctx.get("standard_drink_grams") or 0),
        lang=lang,
        gettext=i18n.translations(lang).gettext,
        stocked=ctx.get("stocked"),
    )


def configure_jinja(env: Environment) -> None:
    env.globals["drink_facts"] = _drink_facts
