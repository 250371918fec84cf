"""How allergens read: a short label for each (marked for the catalog with `N_`, translated
when shown) and an icon that goes with the text, never instead of it; and a recipe's allergens,
from its ingredients' names."""

from __future__ import annotations

from collections.abc import Iterable

from barapp.shelf.knowledge import Allergen, match


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


def of_recipe(names: Iterable[str]) -> frozenset[Allergen]:
    """The allergens of a recipe's ingredients, by their names as written (read with
    `match()`); a name the base does not know brings none it could name."""
    found: set[Allergen] = set()
    for name in names:
        known = match(str(name))
        if known is not None:
            found |= known.allergens
    return frozenset(found)


def in_order(allergens: Iterable[Allergen]) -> list[Allergen]:
    """Allergens in the order the labels list them (a stable order for cards and filters)."""
    chosen = set(allergens)
    return [allergen for allergen in LABELS if allergen in chosen]
