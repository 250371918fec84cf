"""Quantities in the bar's unit system: stored as written (amount + unit), shown in cl, ml or oz.

Volumes convert; everything else (dashes, leaves, bar spoons, pieces, pinches) is a count and
stays as it is. Bars pour 1 oz as 30 ml (3 cl), not the 29.57 ml of the US fluid ounce: the
converted recipe must be pourable with the jiggers on the counter.

The count units a model writes in either language ("dashes", "trait", "feuilles", "brins",
"pincée"...) are recognised and shown in the reader's language with the plural its number
takes there ("2 dashes", "2 traits", "1,5 trait": in French below 2 is singular); a unit not
known stays as written.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from babel import Locale
from jinja2 import pass_context
from jinja2.runtime import Context

from barapp.cocktails.model import fold
from barapp.shelf import volumes
from barapp.web.i18n import format_amount, translations

SYSTEMS = ("cl", "ml", "oz")
# The one table of volumes (millilitres per unit, the units' names) is the shelf's.
ML_PER = volumes.ML_PER
ALIASES = volumes.ALIASES


def ngettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """Marks a unit's two English forms for the catalog (`pybabel extract` reads `ngettext`
    calls); they are translated when shown, by `count_unit`."""
    return singular, plural


# A count unit's English forms, by a canonical name.
COUNT_UNITS = {
    "dash": ngettext("dash", "dashes", 2),
    "drop": ngettext("drop", "drops", 2),
    "leaf": ngettext("leaf", "leaves", 2),
    "sprig": ngettext("sprig", "sprigs", 2),
    "barspoon": ngettext("barspoon", "barspoons", 2),
    "teaspoon": ngettext("teaspoon", "teaspoons", 2),
    "tablespoon": ngettext("tablespoon", "tablespoons", 2),
    "pinch": ngettext("pinch", "pinches", 2),
    "piece": ngettext("piece", "pieces", 2),
    "slice": ngettext("slice", "slices", 2),
    "wheel": ngettext("wheel", "wheels", 2),
    "wedge": ngettext("wedge", "wedges", 2),
    "cube": ngettext("cube", "cubes", 2),
    "scoop": ngettext("scoop", "scoops", 2),
    "part": ngettext("part", "parts", 2),
    "handful": ngettext("handful", "handfuls", 2),
    "zest": ngettext("zest", "zests", 2),
}
# What models and bartenders write for them, folded, in English and French (the shelf's table,
# which knows a volume for each of COUNT_UNITS).
COUNT_ALIASES = volumes.COUNT_ALIASES

# Steps a bartender can measure: half centilitres, 2.5 ml (so ¾ oz is 22.5 ml), quarter ounces.
STEP = {"cl": 0.5, "ml": 2.5, "oz": 0.25}
OZ_FRACTIONS = {0.25: "¼", 0.5: "½", 0.75: "¾"}


def _key(unit: str) -> str:
    return " ".join(unit.strip().lower().rstrip(".").split())


def volume_unit(unit: str) -> str | None:
    """The canonical volume unit ("cl", "ml", "dl", "l", "oz"), or None for a count unit."""
    return ALIASES.get(_key(unit))


def count_unit(unit: str) -> str | None:
    """The canonical count unit ("dash", "leaf", "barspoon"...), or None for any other."""
    return COUNT_ALIASES.get(fold(_key(unit)))


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def count_unit_text(name: str, amount: float | None, lang: str) -> str:
    """A count unit in `lang`, singular or plural as `amount` wants there (the singular without
    an amount: "a dash" is a dash). gettext's plural formulas know whole numbers only, so the
    form comes from CLDR's rules, which know 1.5 is "other" in English and "one" in French."""
    singular, plural = COUNT_UNITS[name]
    one = amount is None or _plural_category(amount, lang) == "one"
    return translations(lang).ngettext(singular, plural, 1 if one else 2)


def _plural_category(amount: float, lang: str) -> str:
    number: float | int = int(amount) if float(amount).is_integer() else amount
    return str(_locale(lang).plural_form(number))


def convert(amount: float | None, unit: str, system: str) -> tuple[float | None, str]:
    """(amount, unit) in `system`; counts and amount-less quantities ("top up") unchanged."""
    source = volume_unit(unit)
    if amount is None or source is None or system not in SYSTEMS:
        return amount, unit
    if source == system:
        return amount, system
    value = amount * ML_PER[source] / ML_PER[system]
    step = STEP[system]
    rounded = math.floor(value / step + 0.5) * step  # half up: 2.25 cl is ¾ oz, not ½
    # Small quantities (a bar spoon of syrup in oz) keep a finer step rather than become zero.
    if rounded == 0 and value > 0:
        rounded = round(value, 2)
    return rounded, system


def format_oz(amount: float) -> str | None:
    """1.75 -> "1¾"; None when the amount is not a whole number of quarter ounces."""
    whole, part = divmod(round(amount * 4) / 4, 1)
    if abs(whole + part - amount) > 1e-9:
        return None
    if part == 0:
        return str(int(whole))
    return (str(int(whole)) if whole else "") + OZ_FRACTIONS[part]


@pass_context
def format_quantity(ctx: Context, ingredient: dict[str, Any]) -> str:
    """An ingredient's quantity in the bar's unit system and the guest's language."""
    amount, unit = convert(
        ingredient.get("amount"), ingredient.get("unit") or "", str(ctx.get("unit_system", "cl"))
    )
    counted = count_unit(unit)
    if counted:
        unit = count_unit_text(counted, amount, str(ctx.get("lang", "en")))
    if amount is None:
        return str(unit)
    number = (format_oz(amount) if unit == "oz" else None) or format_amount(ctx, amount)
    return f"{number} {unit}".strip()
