"""How allergens read: a short label for each (marked for the catalog with `N_`, translated
when shown) and an icon that goes with the text, never instead of it; and a recipe's allergens,
from its ingredients' names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from barapp.shelf.knowledge import Allergen, base, key_of, match, normal

# The allergens a bartender gave the bar's own items, by the key a recipe's ingredient of that
# name has (`stock.own_allergens`).
Own = Mapping[str, frozenset[Allergen]]
NONE_OWN: Own = {}


def N_(message: str) -> str:
    return message


LABELS: dict[Allergen, str] = {
    Allergen.EGG: N_("egg"),
    Allergen.MILK: N_("milk"),
    Allergen.NUTS: N_("nuts"),
    Allergen.PEANUTS: N_("peanuts"),
    Allergen.GLUTEN: N_("gluten"),
    Allergen.SULPHITES: N_("sulphites"),
    Allergen.CELERY: N_("celery"),
    Allergen.SOY: N_("soy"),
}
ICONS: dict[Allergen, str] = {
    Allergen.EGG: "🥚",
    Allergen.MILK: "🥛",
    Allergen.NUTS: "🌰",
    Allergen.PEANUTS: "🥜",
    Allergen.GLUTEN: "🌾",
    Allergen.SULPHITES: "🍷",
    Allergen.CELERY: "🥬",
    Allergen.SOY: "🫘",
}


def of_recipe(names: Iterable[str], own: Own = NONE_OWN) -> frozenset[Allergen]:
    """The allergens of a recipe's ingredients, by their names as written (read with
    `match()`), and those the bar gave its own items of these names; a name neither knows
    brings none it could name."""
    found: set[Allergen] = set()
    for name in names:
        if not name:
            continue
        known = match(str(name))
        if known is not None:
            found |= known.allergens
        elif own:
            found |= own.get(key_of(str(name)), frozenset())
    return frozenset(found)


# What a step or a note may add without naming it as an ingredient ("dry shake with an egg
# white", "float of cream", "celery salt rim"). Not gluten or sulphites: in steps their names
# are mostly glassware ("champagne flute", "wine glass"), which would refuse good drinks.
IN_TEXT = frozenset({Allergen.EGG, Allergen.MILK, Allergen.NUTS, Allergen.PEANUTS, Allergen.SOY,
                     Allergen.CELERY})  # fmt: skip


def _bare(words: str) -> str:
    """Words without a final s, so a name and its plural meet ("egg whites", "oeufs")."""
    return " ".join(w.removesuffix("s") for w in words.split())


@cache
def _mentions() -> tuple[re.Pattern[str], dict[str, frozenset[Allergen]]]:
    """One pattern of every name and alias of the base's rows with such allergens, longest
    first, each word in the singular or plural, and what each name brings."""
    brings: dict[str, frozenset[Allergen]] = {}
    for known in base().values():
        found = known.allergens & IN_TEXT
        for name in (known.en, known.fr, *known.aliases) if found else ():
            words = normal(name)
            if len(words) >= 3:
                brings[_bare(words)] = brings.get(_bare(words), frozenset()) | found
    names = sorted(brings, key=len, reverse=True)
    alternatives = "|".join(" ".join(re.escape(w) + "s?" for w in n.split()) for n in names)
    return re.compile(rf"\b(?:{alternatives})\b"), brings


def mentioned(texts: Iterable[str]) -> frozenset[Allergen]:
    """The allergens that steps or notes name in passing (egg, milk, nuts, peanuts, soy,
    celery): an avoided one there refuses the drink as surely as an ingredient would."""
    pattern, brings = _mentions()
    found: set[Allergen] = set()
    for text in texts:
        for hit in pattern.finditer(normal(str(text))):
            found |= brings.get(_bare(hit.group(0)), frozenset())
    return frozenset(found)


def in_order(allergens: Iterable[Allergen]) -> list[Allergen]:
    """Allergens in the order the labels list them (a stable order for cards and filters)."""
    chosen = set(allergens)
    return [allergen for allergen in LABELS if allergen in chosen]
