"""The ingredient knowledge base: what barapp knows of a bar ingredient, from `ingredients.csv`
(one row each: a key, a category, its alcohol by volume, its allergens, its English and French
names and aliases), and `match()`, which reads free text ("Fresh lime juice", "citron vert")
as one of them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class Category(StrEnum):
    SPIRIT = "spirit"
    LIQUEUR = "liqueur"
    WINE = "wine"  # wine and fortified wine (vermouth, sherry, port)
    BEER = "beer"
    JUICE = "juice"
    SYRUP = "syrup"
    BITTERS = "bitters"
    DAIRY = "dairy"
    EGG = "egg"
    FRUIT = "fruit"
    HERB = "herb"
    SPICE = "spice"
    SODA = "soda"
    OTHER = "other"


class Allergen(StrEnum):
    EGG = "egg"
    MILK = "milk"
    NUTS = "nuts"
    PEANUTS = "peanuts"
    GLUTEN = "gluten"
    SULPHITES = "sulphites"
    CELERY = "celery"
    SOY = "soy"


@dataclass(frozen=True)
class Known:
    """One ingredient of the base."""

    key: str
    category: Category
    abv: float | None
    """Alcohol by volume in percent; None when it varies too much to say (never guessed)."""
    allergens: frozenset[Allergen]
    en: str
    fr: str
    aliases: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@cache
def base() -> dict[str, Known]:
    """The base, by key (read once)."""
    text = resources.files("barapp.shelf").joinpath("ingredients.csv").read_text("utf-8")
    known: dict[str, Known] = {}
    for row in csv.DictReader(text.splitlines()):
        known[row["key"]] = Known(
            key=row["key"],
            category=Category(row["category"]),
            abv=float(row["abv"]) if row["abv"] else None,
            allergens=frozenset(Allergen(a) for a in row["allergens"].split("|") if a),
            en=row["en"],
            fr=row["fr"],
            aliases=tuple(a for a in row["aliases"].split("|") if a),
        )
    return known


def normal(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: "Crème  de Cassis!" ->
    "creme de cassis"."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", plain).split())


@cache
def _names() -> dict[str, Known]:
    """Every name and alias of the base, normalised, to its ingredient."""
    names: dict[str, Known] = {}
    for known in base().values():
        for text in (known.en, known.fr, *known.aliases):
            names.setdefault(normal(text), known)
    return names


def match(text: str) -> Known | None:
    """The base's ingredient that `text` names, or None."""
    return _names().get(normal(text))


ALWAYS_THERE = frozenset({"water", "ice"})
"""Keys every bar has: never missing, never on the shelf page, always allowed to the model."""

CUSTOM = "custom-"


def key_of(text: str) -> str:
    """The key a recipe's ingredient is known by: the base's, or for a name the base does not
    know, "custom-" and its normal form (which a custom shelf item of that name has too), so
    a cocktail's keys depend on the base only, never on the shelf."""
    known = match(text)
    return known.key if known else (CUSTOM + normal(text))[:100]


def search(text: str, limit: int = 12) -> list[Known]:
    """The base's ingredients a few typed letters may mean, best first: a name or alias that
    starts with them, then one with a word that does."""
    typed = normal(text)
    if not typed:
        return []
    starts: dict[str, Known] = {}
    words: dict[str, Known] = {}
    for name, known in _names().items():
        if name.startswith(typed):
            starts.setdefault(known.key, known)
        elif f" {typed}" in f" {name}":
            words.setdefault(known.key, known)
    found = [*starts.values(), *(k for key, k in words.items() if key not in starts)]
    return found[:limit]
