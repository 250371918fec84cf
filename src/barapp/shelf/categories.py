"""How the shelf's categories read: a heading for each (marked for the catalog with `N_`,
translated when shown), in the order the shelf page lists them (bottles first)."""

from __future__ import annotations

from barapp.shelf.knowledge import Category


def N_(message: str) -> str:
    return message


LABELS: dict[Category, str] = {
    Category.SPIRIT: N_("Spirits"),
    Category.LIQUEUR: N_("Liqueurs"),
    Category.WINE: N_("Wines and fortified wines"),
    Category.BEER: N_("Beers and ciders"),
    Category.JUICE: N_("Juices"),
    Category.SYRUP: N_("Syrups"),
    Category.BITTERS: N_("Bitters"),
    Category.DAIRY: N_("Dairy"),
    Category.EGG: N_("Eggs"),
    Category.FRUIT: N_("Fruit"),
    Category.HERB: N_("Herbs"),
    Category.SPICE: N_("Spices"),
    Category.SODA: N_("Sodas and mixers"),
    Category.OTHER: N_("Other"),
}
ORDER = tuple(LABELS)
