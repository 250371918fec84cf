"""The one table of bar volumes: millilitres per volume unit, the names a model or a bartender
writes for them (English and French), and how much a counted unit pours.

`cocktails/units.py` shows quantities with it and `shelf/strength.py` measures drinks with it.
Bars pour 1 oz as 30 ml (3 cl), not the 29.57 ml of the US fluid ounce: the jiggers on the
counter. A dash is about 0.9 ml (an Angostura bottle's dasher gives 0.8 to 1), a drop 0.05 ml,
a bar spoon and a teaspoon 5 ml, a tablespoon 15 ml, a "part" is taken as 30 ml (only the
ratio matters to a strength). Leaves, sprigs, slices, wedges, pinches and pieces pour nothing.
"""

from __future__ import annotations

import unicodedata

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
"""Volume units as written (lower case, single spaces, no final dot) -> ML_PER's units."""

# Count units by a canonical name (their English display forms live in cocktails/units.py),
# and the millilitres one pours: None for what pours nothing (it has no alcohol either).
COUNT_ML: dict[str, float | None] = {
    "dash": 0.9,
    "drop": 0.05,
    "barspoon": 5.0,
    "teaspoon": 5.0,
    "tablespoon": 15.0,
    "part": 30.0,
    "scoop": 60.0,
    "leaf": None,
    "sprig": None,
    "pinch": None,
    "piece": None,
    "slice": None,
    "wheel": None,
    "wedge": None,
    "cube": None,
    "handful": None,
    "zest": None,
}
# What models and bartenders write for them, folded (lowercase, no accents), in English and in
# French, singular and plural.
COUNT_ALIASES = {
    "dash": "dash",
    "dashes": "dash",
    "drop": "drop",
    "drops": "drop",
    "leaf": "leaf",
    "leaves": "leaf",
    "sprig": "sprig",
    "sprigs": "sprig",
    "barspoon": "barspoon",
    "barspoons": "barspoon",
    "teaspoon": "teaspoon",
    "teaspoons": "teaspoon",
    "tablespoon": "tablespoon",
    "tablespoons": "tablespoon",
    "pinch": "pinch",
    "pinches": "pinch",
    "piece": "piece",
    "pieces": "piece",
    "slice": "slice",
    "slices": "slice",
    "wheel": "wheel",
    "wheels": "wheel",
    "wedge": "wedge",
    "wedges": "wedge",
    "cube": "cube",
    "cubes": "cube",
    "scoop": "scoop",
    "scoops": "scoop",
    "part": "part",
    "parts": "part",
    "handful": "handful",
    "handfuls": "handful",
    "zest": "zest",
    "zests": "zest",
    "bar spoon": "barspoon",
    "bar spoons": "barspoon",
    "bsp": "barspoon",
    "tsp": "teaspoon",
    "tbsp": "tablespoon",
    "trait": "dash",
    "traits": "dash",
    "goutte": "drop",
    "gouttes": "drop",
    "feuille": "leaf",
    "feuilles": "leaf",
    "brin": "sprig",
    "brins": "sprig",
    "cuillere de bar": "barspoon",
    "cuilleres de bar": "barspoon",
    "cuillere a cafe": "teaspoon",
    "cuilleres a cafe": "teaspoon",
    "cac": "teaspoon",
    "cuillere a soupe": "tablespoon",
    "cuilleres a soupe": "tablespoon",
    "cas": "tablespoon",
    "pincee": "pinch",
    "pincees": "pinch",
    "morceau": "piece",
    "morceaux": "piece",
    "tranche": "slice",
    "tranches": "slice",
    "rondelle": "wheel",
    "rondelles": "wheel",
    "quartier": "wedge",
    "quartiers": "wedge",
    "boule": "scoop",
    "boules": "scoop",
    "poignee": "handful",
    "poignees": "handful",
    "zeste": "zest",
    "zestes": "zest",
}
# Spoken measures no count unit shows, for strengths only.
SPLASH_ML = {"splash": 15.0, "splashes": 15.0, "float": 15.0, "rinse": 2.0, "shot": 30.0}
TOP_WORDS = ("top", "fill", "complet", "allong", "remplir", "to taste")
"""A unit that says "pour the rest": "top up", "fill", "compléter", "allonger"."""


def _key(unit: str) -> str:
    plain = unicodedata.normalize("NFKD", unit.strip().casefold().rstrip("."))
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())


def volume_unit(unit: str) -> str | None:
    """The canonical volume unit ("cl", "ml", "dl", "l", "oz"), or None for any other."""
    return ALIASES.get(_key(unit))


def count_unit(unit: str) -> str | None:
    """The canonical count unit ("dash", "leaf", "barspoon"...), or None for any other."""
    return COUNT_ALIASES.get(_key(unit))


def millilitres(amount: float, unit: str) -> float | None:
    """`amount` of `unit` in millilitres: 0 for what pours nothing (leaves, slices), None for
    a unit this table does not know."""
    volume = volume_unit(unit)
    if volume is not None:
        return amount * ML_PER[volume]
    count = count_unit(unit)
    if count is not None:
        per = COUNT_ML[count]
        return amount * per if per is not None else 0.0
    splash = SPLASH_ML.get(_key(unit))
    return amount * splash if splash is not None else None


def is_top(unit: str) -> bool:
    """Whether a unit says "pour the rest" ("top up", "compléter") rather than an amount."""
    key = _key(unit)
    return any(word in key for word in TOP_WORDS)
