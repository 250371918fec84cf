"""How strong a drink is: its alcohol by volume once diluted by its method, and how many
standard drinks it holds. (A first estimate; the knowledge base's strengths feed it.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from barapp.shelf.knowledge import match

ML_PER = {"ml": 1.0, "cl": 10.0, "oz": 30.0}
ETHANOL_G_PER_ML = 0.789


@dataclass(frozen=True)
class Strength:
    abv: float | None
    """Percent alcohol by volume of the drink as served; None when nothing can be said."""
    volume_ml: float
    alcohol_g: float
    unknown: tuple[str, ...]
    """Ingredients whose strength barapp does not know (named, never guessed)."""

    def standard_drinks(self, grams: int) -> float:
        return self.alcohol_g / grams


def estimate(ingredients: Sequence[Mapping[str, Any]], steps: Sequence[str] = ()) -> Strength:
    """The strength of a recipe's ingredients ({"name", "amount", "unit"})."""
    volume = alcohol = 0.0
    unknown: list[str] = []
    for ingredient in ingredients:
        ml = ML_PER.get(str(ingredient.get("unit", "")).lower())
        amount = ingredient.get("amount")
        known = match(str(ingredient.get("name", "")))
        if ml is None or amount is None:
            continue
        if known is None or known.abv is None:
            unknown.append(str(ingredient.get("name", "")))
            continue
        volume += amount * ml
        alcohol += amount * ml * known.abv / 100
    diluted = volume * 1.25
    abv = 100 * alcohol / diluted if diluted else None
    return Strength(abv, diluted, alcohol * ETHANOL_G_PER_ML, tuple(unknown))
