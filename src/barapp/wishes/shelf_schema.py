"""What the bar's shelf offers one wish, by the bar's shelf mode, and the answer's schema that
follows from it.

- free: nothing of the shelf; the prompt and `prompt.SCHEMA` as they always were.
- prefer: the in-stock items' names go into the system prompt (`prompt.py`), the schema is
  unchanged: the model is asked, not forced.
- strict: the ingredient's `name` becomes an `enum` of the in-stock items' names, plus the
  ones every bar has (`knowledge.ALWAYS_THERE`: water, ice), and the garnish an `enum` of the
  stocked fruit, herbs and spices, or "" for none. The grammar Ollama builds from the schema
  then cannot write anything else.

Names are in the wish's recorded language (the page's, `Generation.language`), the one the
card is read in. The allergens a guest ticked on the wish form take the items that hold them
out of the list and the enum, and the prompt names them in every mode (in free mode the model
may still disobey: only the enum guarantees).

The stock is read once per wish, when its job starts (`job.py`), and the `Shelf` made of it
serves both tries of `attempts.ask`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from barapp.shelf.allergens import NONE_OWN, Own
from barapp.shelf.knowledge import ALWAYS_THERE, Allergen, Category, base
from barapp.shelf.stock import Item
from barapp.wishes import prompt
from barapp.wishes.topic import Shape

MODES = ("free", "prefer", "strict")
GARNISHES = frozenset({Category.FRUIT, Category.HERB, Category.SPICE})
"""What a garnish is chosen from in strict mode (a wheel, a sprig, a grating)."""
NO_GARNISH = ""
FREE_SCHEMAS: dict[Shape, dict[str, Any]] = {
    Shape.COCKTAIL: prompt.COCKTAIL_SCHEMA,
    Shape.EITHER: prompt.SCHEMA,
}
"""The answer's shapes a wish is offered (`wishes/topic.py`) when the shelf forces nothing."""


@dataclass(frozen=True)
class Shelf:
    """What the shelf offers one wish."""

    mode: str = "free"
    """The mode applied: the bar's, or "free" when strict mode found nothing to offer."""
    ingredients: tuple[str, ...] = ()
    """The in-stock items' names (allergen-free for this wish); in strict mode the always-there
    items' too: the enum."""
    garnishes: tuple[str, ...] = ()
    """Strict mode: the garnish's enum (stocked fruit, herbs, spices, then "" for none)."""
    avoid: tuple[Allergen, ...] = ()
    """The allergens the guest ticked, in `Allergen`'s order."""
    fallback: str = ""
    """Why the bar's strict mode could not be applied (for the bartenders' log), or ""."""
    own: Own = field(default_factory=dict)
    """The allergens of the bar's own items (when the guest ticked some: the answer check)."""


def allergens_of(values: Iterable[str]) -> tuple[Allergen, ...]:
    """The known allergens among `values`, in `Allergen`'s order (anything else is dropped)."""
    given = set(values)
    return tuple(allergen for allergen in Allergen if allergen.value in given)


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))


def _always_there(lang: str) -> list[str]:
    known = base()
    return [known[key].name(lang) if key in known else key for key in sorted(ALWAYS_THERE)]


def offer(
    mode: str,
    items: Sequence[Item],
    lang: str,
    avoid: Sequence[Allergen] = (),
    own: Own = NONE_OWN,
) -> Shelf:
    """What the shelf offers a wish in `lang`, for the bar's `mode`, from the items in stock.
    Strict mode with nothing on the shelf this wish may have (an empty shelf, or every item
    holding an allergen the guest ticked) falls back to free mode, the allergens still named
    in the prompt, and says why: a guest is served rather than refused for the bar's setup."""
    avoided = set(avoid)
    usable = [
        item
        for item in items
        if item.in_stock and not item.allergens & avoided and item.key not in ALWAYS_THERE
    ]
    names = _unique(item.name(lang) for item in usable)
    if mode == "prefer":
        return Shelf("prefer", names, avoid=tuple(avoid), own=own)
    if mode != "strict":
        return Shelf("free", avoid=tuple(avoid), own=own)
    if not names:
        why = "nothing in stock" if not items else "nothing in stock without " + ", ".join(avoid)
        return Shelf("free", avoid=tuple(avoid), fallback=f"strict shelf mode: {why}", own=own)
    garnishes = _unique(item.name(lang) for item in usable if item.category in GARNISHES)
    return Shelf(
        "strict",
        _unique([*names, *_always_there(lang)]),
        (*garnishes, NO_GARNISH),
        tuple(avoid),
        own=own,
    )


def schemas(shelf: Shelf) -> dict[Shape, dict[str, Any]]:
    """The answer's schemas for this wish: `prompt.SCHEMA` itself, or in strict mode a copy
    with the ingredient name and the garnish as enums. The enum replaces the name's schema
    whole: its `maxLength` (the bound asked of the model, `"x-model"` in store/recipe.py,
    already in place in `prompt.SCHEMA`) is dropped, the enum bounds it, and a shelf name
    longer than it stays writable (the bar keeps names up to its own 100 characters)."""
    if shelf.mode != "strict":
        return FREE_SCHEMAS
    either = copy.deepcopy(prompt.SCHEMA)
    (cocktail,) = [
        option
        for option in either["anyOf"]
        if option["properties"]["kind"].get("enum") == ["cocktail"]
    ]
    properties = cocktail["properties"]
    properties["garnish"] = {"type": "string", "enum": list(shelf.garnishes)}
    properties["ingredients"]["items"]["properties"]["name"] = {
        "type": "string",
        "enum": list(shelf.ingredients),
    }
    return {Shape.COCKTAIL: cocktail, Shape.EITHER: either}
