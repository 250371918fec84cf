"""Which answer shapes a wish is offered: a cocktail, an off-topic message, or either.

Small models judge topics badly. Measured on llama.cpp, a 270M model refused "a negroni twist"
and "I'm tired, cheer me up" as off-topic, and wrote a cocktail for "write me a poem about the
sea". So the model only decides what the words cannot: a wish that names a drink, a taste, a
mood or an occasion is offered the cocktail shape alone (the grammar then cannot refuse it);
one that asks for other help (a poem, code, the weather, a capital) and names nothing to drink
is not sent to the model: the bar's own redirect answers it (`wishes/attempts.py`).
Anything else is the model's call. On a bar's tablet a wish is about a drink until shown
otherwise, so the drink words win over the other-help words.
"""

from __future__ import annotations

import re
from enum import StrEnum

from barapp.cocktails.model import fold


class Shape(StrEnum):
    COCKTAIL = "cocktail"
    OFF_TOPIC = "off_topic"
    EITHER = "either"


def _words(text: str) -> re.Pattern[str]:
    # Folded (no accents, lower case) whole words, plurals allowed; "_" joins a phrase.
    words = [re.escape(word).replace("_", r"\W+") for word in text.split()]
    return re.compile(r"\b(?:" + "|".join(words) + r")s?\b")


# What a guest asks a bartender for. Words with an everyday sense too ("port", "shot", "soft",
# "light", "strong", "toast", "spring", "moral") are left out or kept in a phrase: they would
# make "a strong essay" a drink.
_DRINK = _words(
    """drink cocktail mocktail boisson verre apero aperitif aperitivo digestif spritz sour fizz
    highball toddy julep collins gin rum rhum vodka tequila mezcal whisky whiskey bourbon
    scotch cognac brandy armagnac calvados pisco cachaca absinthe vermouth campari aperol amaro
    chartreuse liqueur prosecco champagne cava wine vin biere beer cidre cider porto sherry
    negroni mojito margarita daiquiri martini manhattan caipirinha paloma gimlet sazerac
    cosmopolitan bellini mimosa colada old_fashioned alcohol alcool alcoholic alcoolise virgin
    sans_alcool non_alcoholic
    fresh frais fraiche refreshing rafraichissant sweet sucre bitter amer amere sec seche
    fruity fruite tropical tropique spicy epice smoky fume herbal floral sparkling petillant
    creamy cremeux citrus agrume lime lemon citron mint menthe basil basilic ginger gingembre
    cucumber concombre raspberry framboise strawberry fraise berry baie fruits_rouges peach
    peche pineapple ananas coconut coco passion_fruit fruit_de_la_passion thyme thym rosemary
    romarin elderflower sureau
    coffee cafe espresso chocolate chocolat vanilla vanille cinnamon cannelle honey miel
    thirsty soif cheers sante to_toast trinquer cosy cozy summer ete winter hiver autumn automne
    printemps sunset coucher_de_soleil apres_ski brunch party fete birthday anniversaire
    celebrate celebrer cheer_me_up le_moral tired fatigue sad triste surprise surprends
    something_to_sip quelque_chose_a_boire"""
)
# Help of another kind: a text to write, code, facts, the news.
_OTHER_HELP = _words(
    """poem poeme essay dissertation story histoire letter lettre email courriel homework
    devoirs translate traduis traduire translation traduction code coding python javascript
    java sql programme program function fonction algorithm algorithme script
    capital capitale weather meteo temps_fera forecast previsions news actualite actualites
    president election population recipe_for_a_cake equation calculate calcule integral
    integrale who_is who_was qui_est qui_etait"""
)


def shape_of(wish: str) -> Shape:
    folded = fold(wish)
    if _DRINK.search(folded):
        return Shape.COCKTAIL
    if _OTHER_HELP.search(folded):
        return Shape.OFF_TOPIC
    return Shape.EITHER
