"""How strong a drink is: its alcohol by volume as served, once diluted by its method, and how
many standard drinks it holds.

Volumes come from the shelf's one volume table (`shelf/volumes.py`); strengths from the
knowledge base. An ingredient the base does not know, or whose strength it does not know, is
named in `unknown` (its volume still counts: it dilutes), never guessed. Ice is never an
ingredient here: its melt is the dilution. Water, juices and syrups are known (0 %).

Dilution, as a share of the volume before it, by method only: shaken 25 %, stirred 20 %,
built on the rocks 10 %, blended 25 %, topped or none (a Kir Royal, a neat pour) nothing. These
are the rates published figures are computed with (Bar Assistant's open data of IBA specs,
Difford's Guide for shaken drinks), so a guest comparing finds the same number: 26 classics
are within 2 points of them (tests/test_strength.py). Dave Arnold's measured fits for shaking
or stirring to equilibrium (*Liquid Intelligence*, p. 123) add more water, 45 to 60 %, and put
the same drinks 2 to 6 points lower; of the two, an estimate that errs on the strong side is
the safer one to show a guest.

Sparkling ingredients (soda, sparkling wine, beer: the base's `s` flag) are never shaken or
stirred: they join after the dilution, as they are poured. One with no amount ("top up")
counts a typical top: 100 ml of a soda, 90 ml of a sparkling wine or a juice, 150 ml of a
beer; one with no amount of anything else (a spirit "to taste") is unknown.

The method is the `method` argument, else read from the steps, English or French: blend
(blender, mixeur, frozen) before shake (shaker, secouer, frapper) before stir (remuer,
mélanger; but a mixing glass, a verre à mélange or a strainer wins over a glass of ice) before
build (construire, directement dans le verre, over ice, with ice, sur glace) before top (top
with champagne, compléter: a Kir Royal, no ice); with none of these, a drink with ice or a top
is built, others stirred.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from barapp.shelf.knowledge import Category, Known, match, normal
from barapp.shelf.volumes import is_top, millilitres

ETHANOL_G_PER_ML = 0.789


class Method(StrEnum):
    SHAKEN = "shaken"
    STIRRED = "stirred"
    BUILT = "built"
    BLENDED = "blended"
    TOPPED = "topped"
    NONE = "none"


# The water a method adds, as a share of the volume before it (the module's docstring says why).
DILUTION = {Method.SHAKEN: 0.25, Method.STIRRED: 0.20, Method.BUILT: 0.10, Method.BLENDED: 0.25}


def dilution(method: Method) -> float:
    return DILUTION.get(method, 0.0)


# Words of the steps, folded, for each method, in the order they win: a drink stirred in a
# mixing glass and strained is stirred, one stirred in its glass over ice is built.
_METHOD_WORDS: tuple[tuple[Method, re.Pattern[str]], ...] = (
    (Method.BLENDED, re.compile(r"\b(?:blend\w*|mixeur|frozen|mixez)\b")),
    (Method.SHAKEN, re.compile(r"\b(?:shak\w*|secou\w*|frapp\w* au shaker|agit\w*)\b")),
    (
        Method.STIRRED,
        re.compile(r"\b(?:mixing glass|verre a melange\w*|strain\w*|filtr\w*|passe\w* au)\b"),
    ),
    (
        Method.BUILT,
        re.compile(
            r"\b(?:build|built|construi\w*|directement dans le verre|directly (?:in|into)"
            r"|over (?:crushed |cracked )?ice|on the rocks|on ice|sur (?:de la |des )?glac\w*"
            r"|fill\w* (?:the glass |glass )?with (?:crushed |cracked )?ice"
            r"|with (?:crushed |cracked )?ice|avec (?:des |de la )?glac\w*"
            r"|rempli\w* (?:le verre )?de glac\w*|muddle\w*|pil\w*|swizzle\w*)\b"
        ),
    ),
    (Method.STIRRED, re.compile(r"\b(?:stir\w*|remue\w*|remuer|melang\w*|tourn\w*)\b")),
    (Method.TOPPED, re.compile(r"\b(?:top\w*|complet\w*|allong\w*)\b")),
)


def method_of(steps: Iterable[str]) -> Method | None:
    """The method the steps describe, or None when they name none."""
    text = normal(" ".join(str(step) for step in steps))
    return next((method for method, words in _METHOD_WORDS if words.search(text)), None)


# Millilitres a top with no amount pours, by category.
TOP_ML = {Category.SODA: 100.0, Category.WINE: 90.0, Category.JUICE: 90.0, Category.BEER: 150.0}
# Millilitres one counted piece pours, for the few pieces that are liquid.
PIECE_ML = {"egg_white": 30.0, "whole_egg": 50.0, "egg_yolk": 15.0}


@dataclass(frozen=True)
class Strength:
    abv: float | None
    """Percent alcohol by volume of the drink as served; None when nothing can be said."""
    volume_ml: float
    alcohol_g: float
    unknown: tuple[str, ...]
    """Ingredients whose strength barapp does not know (named, never guessed)."""
    method: str = ""
    """The method the dilution was counted for (a `Method`'s value)."""

    def standard_drinks(self, grams: int) -> float:
        return self.alcohol_g / grams


def drink_grams(setting: int, lang: str) -> int:
    """The grams of alcohol in a standard drink: the bar's `standard_drink_grams`, or when it
    is 0, the convention of the bar's language (10 g in France, 14 g in the United States)."""
    if setting > 0:
        return setting
    return 10 if lang == "fr" else 14


def _amount(value: Any) -> float | None:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return amount if math.isfinite(amount) and amount >= 0 else None


def _volume(known: Known | None, amount: float | None, unit: str) -> float | None:
    """The millilitres an ingredient pours, 0 for what pours nothing, None when unknown."""
    if amount is None:
        if known is not None and (is_top(unit) or not unit.strip()):
            if known.abv == 0 and known.category not in TOP_ML:
                return 0.0  # "a splash of water", "salt": nothing to count
            return TOP_ML.get(known.category)
        return 0.0 if known is not None and known.abv == 0 else None
    ml = millilitres(amount, unit)
    if ml is not None:
        return min(ml, 2000.0)
    if known is not None and known.key in PIECE_ML and not unit.strip():
        return amount * PIECE_ML[known.key]
    # A count the table does not know ("1 lime", "2 leaves" misspelt): no volume to pour,
    # unless it is a drink's liquid, which then cannot be measured.
    if known is not None and (known.abv == 0 or known.category in (Category.FRUIT, Category.HERB)):
        return 0.0
    return None


def estimate(
    ingredients: Sequence[Mapping[str, Any]],
    steps: Sequence[str] = (),
    method: Method | str | None = None,
) -> Strength:
    """The strength of a recipe's ingredients ({"name", "amount", "unit"}, as a cocktail
    stores them) made by `method`, or the one its steps describe (see the module's docstring).
    """
    chosen = Method(method) if method else method_of(steps)
    # Millilitres of drink and of alcohol: what is mixed with the ice, what is poured after.
    mixed = mixed_alcohol = poured = poured_alcohol = 0.0
    unknown: list[str] = []
    has_ice = counted = False
    for ingredient in ingredients:
        if not isinstance(ingredient, Mapping):
            continue
        name = str(ingredient.get("name") or "").strip()
        known = match(name) if name else None
        if known is not None and known.key == "ice":
            has_ice = True
            continue
        unit = str(ingredient.get("unit") or "")
        amount = _amount(ingredient.get("amount"))
        ml = _volume(known, amount, unit)
        if ml is None or known is None or known.abv is None:
            if ml != 0.0 and name:
                unknown.append(name)
            mixed += ml or 0.0
            continue
        counted = counted or ml > 0
        if known.sparkling or (amount is None and is_top(unit)):
            poured, poured_alcohol = poured + ml, poured_alcohol + ml * known.abv / 100
        else:
            mixed, mixed_alcohol = mixed + ml, mixed_alcohol + ml * known.abv / 100
    if chosen is None:
        chosen = Method.BUILT if has_ice or poured else Method.STIRRED
    if chosen is Method.BUILT:  # the ice in the glass melts into all of it
        mixed, mixed_alcohol, poured, poured_alcohol = (
            mixed + poured,
            mixed_alcohol + poured_alcohol,
            0.0,
            0.0,
        )
    water = mixed * dilution(chosen)
    volume = mixed + water + poured
    alcohol = mixed_alcohol + poured_alcohol
    abv = 100 * alcohol / volume if volume and counted else None
    return Strength(abv, volume, alcohol * ETHANOL_G_PER_ML, tuple(unknown), chosen.value)
