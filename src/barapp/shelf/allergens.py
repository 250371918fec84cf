"""How allergens read: a short label for each (marked for the catalog with `N_`, translated
when shown) and an icon that goes with the text, never instead of it."""

from __future__ import annotations

from barapp.shelf.knowledge import Allergen


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
