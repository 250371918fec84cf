"""Quantities in the bar's unit system: stored as written (amount + unit), shown in cl, ml or oz.

Volumes convert; everything else (dashes, leaves, bar spoons, pieces, pinches) is a count and
stays as it is. Bars pour 1 oz as 30 ml (3 cl), not the 29.57 ml of the US fluid ounce: the
converted recipe must be pourable with the jiggers on the counter.
"""

from __future__ import annotations

import math
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from barapp.web.i18n import format_amount

SYSTEMS = ("cl", "ml", "oz")
ML_PER = {"ml": 1.0, "cl": 10.0, "dl": 100.0, "l": 1000.0, "oz": 30.0}
ALIASES = {
    "ml": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
    "milliliter": "ml",
    "milliliters": "ml",
    "cl": "cl",
    "centilitre": "cl",
    "centilitres": "cl",
    "centiliter": "cl",
    "centiliters": "cl",
    "dl": "dl",
    "l": "l",
    "litre": "l",
    "litres": "l",
    "liter": "l",
    "liters": "l",
    "oz": "oz",
    "fl oz": "oz",
    "fl. oz": "oz",
    "fl.oz": "oz",
    "ounce": "oz",
    "ounces": "oz",
    "once": "oz",
    "onces": "oz",
}
# Steps a bartender can measure: half centilitres, 2.5 ml (so ¾ oz is 22.5 ml), quarter ounces.
STEP = {"cl": 0.5, "ml": 2.5, "oz": 0.25}
OZ_FRACTIONS = {0.25: "¼", 0.5: "½", 0.75: "¾"}


def volume_unit(unit: str) -> str | None:
    """The canonical volume unit ("cl", "ml", "dl", "l", "oz"), or None for a count unit."""
    return ALIASES.get(" ".join(unit.strip().lower().rstrip(".").split()))


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
    if amount is None:
        return str(unit)
    number = (format_oz(amount) if unit == "oz" else None) or format_amount(ctx, amount)
    return f"{number} {unit}".strip()
