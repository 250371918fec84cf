"""Whether a wish names something to drink: the check a refusal has to pass.

Small models mistake cocktail wishes for off-topic ones (a 270M model measured on llama.cpp
refused "something fresh with gin and cucumber"). A refusal of a wish that names a spirit, a
drink or a cocktail word is not believed: the wish is asked again as a cocktail only.
"""

from __future__ import annotations

import re

from barapp.cocktails.model import fold

# English and French, folded (no accents, lower case): whole words, plurals allowed.
# Words with an everyday sense too ("port", "shot", "soft", "sake") are left out.
_WORDS = re.split(
    r"\s+",
    """drink cocktail mocktail boisson apero aperitif aperitivo digestif spritz sour fizz
    highball toddy julep collins gin rum rhum vodka tequila mezcal whisky whiskey bourbon
    scotch cognac brandy armagnac calvados pisco cachaca absinthe vermouth campari aperol amaro
    chartreuse liqueur prosecco champagne cava wine vin biere beer cidre cider porto sherry
    negroni mojito margarita daiquiri martini manhattan caipirinha paloma gimlet sazerac
    cosmopolitan bellini mimosa colada alcohol alcool alcoholic alcoolise virgin""",
)
_PATTERN = re.compile(r"\b(?:" + "|".join(map(re.escape, _WORDS)) + r")s?\b")


def names_a_drink(wish: str) -> bool:
    return _PATTERN.search(fold(wish)) is not None
