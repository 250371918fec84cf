"""Which answer shapes a wish is offered, on wishes other than the real-model tier's."""

from __future__ import annotations

import pytest

from barapp.wishes.topic import Shape, shape_of

COCKTAIL = [
    "un spritz pour l'apéro",
    "Something with RUM and pineapple",
    "quelque chose de pétillant pour fêter une promotion",
    "a hot drink after skiing, with honey",
    "I'm thirsty",
    "surprise moi avec du fruit de la passion",
    "what's in a margarita?",  # a question, about a drink
    "write me a poem... no, a cocktail for my poet friend",  # the drink words win
    "un café, mais en cocktail",
    "j'ai le moral à zéro",
]
OFF_TOPIC = [
    "can you translate 'hello' into Spanish?",
    "qui est le président de la République ?",
    "write an essay about the French revolution",
    "aide-moi pour mes devoirs de maths",
    "what's the weather like in Paris",
    "écris une lettre de motivation",
]
EITHER = [
    "tell me a joke",  # the model's call
    "bonjour",
    "something strong",  # "strong" alone is not a drink word: the model judges
    "is it moral to lie?",  # nor is "moral"
    "how do I make toast",
]


@pytest.mark.parametrize(
    ("wish", "shape"),
    [(w, Shape.COCKTAIL) for w in COCKTAIL]
    + [(w, Shape.OFF_TOPIC) for w in OFF_TOPIC]
    + [(w, Shape.EITHER) for w in EITHER],
)
def test_the_words_decide_what_they_can(wish: str, shape: Shape) -> None:
    assert shape_of(wish) is shape
