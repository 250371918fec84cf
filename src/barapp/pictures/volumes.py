"""Ingredient volumes: millilitres from the amount and unit the model wrote, counted units and
"top up" included."""

from __future__ import annotations

import math
from typing import Any

from barapp.cocktails.units import ML_PER, volume_unit
from barapp.pictures.keywords import fold

TOP_UP_ML = 80.0  # "top up with soda" has no amount: about this much
# Millilitres one counted unit stands for, by folded substring, first match ("soupe" is 15 ml,
# any other "cuillère" 5). Unknown units count 5 ml apiece.
_COUNT_ML = {
    "soupe": 15, "tbsp": 15, "table": 15, "dash": 1, "trait": 1, "drop": 0.1, "goutte": 0.1,
    "splash": 5, "part": 30, "spoon": 5, "cuill": 5, "tsp": 5, "bar": 5, "lea": 0.5,
    "feuille": 0.5, "slice": 3, "tranche": 3, "rondelle": 3, "wedge": 5, "quartier": 5,
    "piece": 5, "morceau": 5, "sprig": 1, "brin": 1, "pinch": 0.2, "pincee": 0.2, "scoop": 60,
    "boule": 60,
}  # fmt: skip


def volume_ml(item: dict[str, Any]) -> float:
    """About how much of the glass an ingredient takes, whatever unit the model wrote."""
    try:
        value: Any = item.get("amount")
        amount: float | None = float(value)
    except (TypeError, ValueError):
        amount = None
    if amount is not None and not (math.isfinite(amount) and amount >= 0):
        amount = None
    unit = fold(item.get("unit"))
    volume = volume_unit(unit)
    per = next((ml for name, ml in _COUNT_ML.items() if name in unit), None)
    if amount is None:  # "top up", "a few leaves": a guess by the kind of unit
        return per * 4 if per is not None else TOP_UP_ML
    if volume is not None:
        return min(amount * ML_PER[volume], 1000.0)
    return min(amount, 12.0) * (per if per is not None else 5.0)
