"""A drink's strength: volumes from the shelf's one volume table, strengths from the knowledge
base, dilution by method (the published per-method rates), standard drinks; the IBA classics
against published figures."""

from __future__ import annotations

from typing import Any

import pytest

from barapp.cocktails import units
from barapp.shelf import volumes
from barapp.shelf.strength import (
    ETHANOL_G_PER_ML,
    Method,
    Strength,
    dilution,
    drink_grams,
    estimate,
    method_of,
)


def i(name: str, amount: float | None, unit: str = "cl") -> dict[str, Any]:
    return {"name": name, "amount": amount, "unit": unit, "note": ""}


# The IBA's specs (cl, as the IBA writes them) and its method, in its words.
# fmt: off
IBA: dict[str, tuple[list[dict[str, Any]], str]] = {
    "Negroni": ([i("Gin", 3), i("Campari", 3), i("Sweet red vermouth", 3)],
                "Pour all ingredients directly into chilled old fashioned glass filled with ice. Stir gently."),
    "Daiquiri": ([i("White rum", 6), i("Fresh lime juice", 2), i("Simple syrup", 1.5)],
                 "Add all ingredients into a shaker with ice. Shake and fine strain into a chilled cocktail glass."),
    "Margarita": ([i("Tequila 100% agave", 5), i("Triple sec", 2), i("Freshly squeezed lime juice", 1.5)],
                  "Add all ingredients into a shaker with ice. Shake and strain into a chilled cocktail glass."),
    "Manhattan": ([i("Rye whiskey", 5), i("Red vermouth", 2), i("Angostura bitters", 1, "dash")],
                  "Pour all ingredients into mixing glass with ice cubes. Stir well. Strain into chilled cocktail glass."),
    "Dry Martini": ([i("Gin", 6), i("Dry vermouth", 1)],
                    "Pour all ingredients into mixing glass with ice cubes. Stir well. Strain into chilled martini cocktail glass."),
    "Old Fashioned": ([i("Bourbon or rye whiskey", 4.5), i("Sugar cube", 1, ""), i("Angostura bitters", 3, "dashes"), i("Plain water", 2, "dashes")],
                      "Place sugar cube in old fashioned glass and saturate with bitters, add a dash of plain water. Muddle until dissolved. Fill the glass with ice cubes and add whiskey."),
    "Whiskey Sour": ([i("Bourbon whiskey", 4.5), i("Fresh lemon juice", 2.5), i("Sugar syrup", 2), i("Egg white", 2)],
                     "Dry shake without ice, then shake with ice. Strain into a chilled old fashioned glass on ice."),
    "Mojito": ([i("White rum", 4.5), i("Fresh lime juice", 2), i("Mint", 6, "sprigs"), i("White cane sugar", 2, "teaspoons"), i("Soda water", None, "top up")],
               "Muddle mint sprigs with sugar and lime juice. Add splash of soda water and fill the glass with cracked ice. Pour the rum and top with soda water."),
    "Cosmopolitan": ([i("Citron vodka", 4), i("Cointreau", 1.5), i("Fresh lime juice", 1.5), i("Cranberry juice", 3)],
                     "Add all ingredients into cocktail shaker filled with ice. Shake well and double strain into large cocktail glass."),
    "Sidecar": ([i("Cognac", 5), i("Triple sec", 2), i("Fresh lemon juice", 2)],
                "Pour all ingredients into cocktail shaker filled with ice. Shake well and strain into cocktail glass."),
    "Gimlet": ([i("Gin", 6), i("Fresh lime juice", 1.5), i("Simple syrup", 1.5)],
               "Add all ingredients into a shaker with ice and shake. Strain into a chilled cocktail glass."),
    "Aviation": ([i("Gin", 4.5), i("Maraschino liqueur", 1.5), i("Crème de violette", 1, "barspoon"), i("Fresh lemon juice", 1.5)],
                 "Add all ingredients into cocktail shaker filled with ice. Shake well and strain into cocktail glass."),
    "Last Word": ([i("Gin", 2.25), i("Green Chartreuse", 2.25), i("Maraschino liqueur", 2.25), i("Fresh lime juice", 2.25)],
                  "Add all ingredients into a cocktail shaker. Shake with ice and strain into a chilled cocktail glass."),
    "Tom Collins": ([i("Old Tom gin", 4.5), i("Fresh lemon juice", 3), i("Sugar syrup", 1.5), i("Soda water", 6)],
                    "Mix the gin, lemon juice and sugar syrup in a tall glass with ice, top up with soda water."),
    "Mai Tai": ([i("Amber Jamaican rum", 3), i("Martinique molasses rhum", 3), i("Orange curaçao", 1.5), i("Orgeat syrup", 1.5), i("Fresh lime juice", 3), i("Simple syrup", 0.75)],
                "Add all ingredients into a shaker with ice. Shake and pour into a double rocks glass or a highball glass."),
    "Moscow Mule": ([i("Vodka", 4.5), i("Ginger beer", 12), i("Fresh lime juice", 1)],
                    "Combine vodka and ginger beer in a highball glass filled with ice. Add lime juice. Stir gently."),
    "Bramble": ([i("Gin", 4), i("Fresh lemon juice", 1.5), i("Simple syrup", 1), i("Blackberry liqueur", 1.5)],
                "Fill glass with crushed ice. Build gin, lemon juice and simple syrup over. Stir, and then pour blackberry liqueur over the top."),
    "Espresso Martini": ([i("Vodka", 5), i("Kahlúa", 3), i("Sugar syrup", 1), i("Strong espresso", 3)],
                         "Pour all ingredients into shaker with ice cubes, shake vigorously and strain into a chilled cocktail glass."),
    "Boulevardier": ([i("Bourbon or rye whiskey", 4.5), i("Campari", 3), i("Red vermouth", 3)],
                     "Pour all ingredients into mixing glass with ice cubes. Stir well. Strain into chilled cocktail glass."),
    "French 75": ([i("Gin", 3), i("Fresh lemon juice", 1.5), i("Sugar syrup", 2, "dashes"), i("Champagne", 6)],
                  "Pour all the ingredients, except Champagne, into a shaker. Shake, strain into a Champagne flute. Top up with Champagne."),
    "Americano": ([i("Campari", 3), i("Red vermouth", 3), i("Soda water", None, "splash")],
                  "Pour the Campari and vermouth over ice into an old fashioned glass, add a splash of soda water."),
}
# fmt: on

# The method each IBA text describes, and the band a finished drink of that method is in
# (shaken 12-28 %, stirred 20-33 %; built: a highball is long, an Old Fashioned short).
EXPECTED_METHOD = {
    "Negroni": "built", "Old Fashioned": "built", "Mojito": "built", "Tom Collins": "built",
    "Moscow Mule": "built", "Bramble": "built", "Americano": "built",
    "Manhattan": "stirred", "Dry Martini": "stirred", "Boulevardier": "stirred",
}  # fmt: skip
BANDS = {"shaken": (12.0, 28.0), "stirred": (20.0, 33.0)}


@pytest.mark.parametrize("name", list(IBA))
def test_iba_classics_are_read_and_diluted_by_their_method(name: str) -> None:
    ingredients, steps = IBA[name]
    strength = estimate(ingredients, [steps])
    assert strength.unknown == (), name  # every ingredient of the classics is known
    assert strength.method == EXPECTED_METHOD.get(name, "shaken")
    assert strength.abv is not None
    undiluted = estimate(ingredients, [steps], method=Method.NONE)
    assert undiluted.abv is not None
    assert strength.abv < undiluted.abv  # ice always dilutes
    assert strength.alcohol_g == pytest.approx(undiluted.alcohol_g)
    low, high = BANDS.get(strength.method, (7.0, 40.0))
    assert low <= strength.abv <= high, (name, strength.abv)


def test_classics_rank_as_bartenders_know_them() -> None:
    abv = {name: estimate(ings, [steps]).abv or 0.0 for name, (ings, steps) in IBA.items()}
    assert abv["Old Fashioned"] > abv["Manhattan"] > abv["Daiquiri"] > abv["Tom Collins"]
    assert abv["Dry Martini"] > abv["Negroni"] > abv["Americano"] > abv["Mojito"]
    assert abv["Whiskey Sour"] < abv["Daiquiri"]  # the egg white lengthens it


# Published ABVs as served, each with the spec it was computed from (a figure means nothing
# without its recipe). Bar Assistant's open data (github.com/bar-assistant/data, commit
# 73bbd36, data/cocktails/<slug>/data.json: "abv", ingredients in ml with their strengths,
# "method"; most recipes cite iba-world.com) dilutes by a flat share per method (its
# data/base_methods.json: shake 25 %, stir 20 %, build 10 %, blend 25 %), as barapp does.
# Where its figure and barapp's differ by more than 2 points the cause is a bottle or a
# unit, not the estimate, so those are left out, and named: Old Fashioned and Gin Gimlet
# (it counts no volume for a "splash", barapp 15 ml), Manhattan and Whiskey Sour (its rye
# and bourbon at 40 %, the base's at 45 %), Sazerac and Tuxedo (its absinthe at 40 %, the
# base's 68 %), Bramble (its crème de mûre at 42.3 %, the base's 16 %), Daiquiri, Mojito,
# Mint Julep and Caipirinha (it counts no volume for sugar, lime wedges or a soda top).
# fmt: off
S, T, B, L = Method.SHAKEN, Method.STIRRED, Method.BUILT, Method.BLENDED
BAR_ASSISTANT: dict[str, tuple[list[dict[str, Any]], Method, float]] = {
    "Negroni": ([i("Gin", 30, "ml"), i("Campari", 30, "ml"), i("Sweet Vermouth", 30, "ml")], B, 25.15),
    "Margarita": ([i("Tequila Blanco", 60, "ml"), i("Triple Sec", 22.5, "ml"), i("Lime juice", 22.5, "ml"), i("Agave Syrup", 1, "barspoon")], S, 25.14),
    "Dry Martini": ([i("Gin", 60, "ml"), i("Dry Vermouth", 30, "ml"), i("Orange bitters", 2, "dashes")], T, 27.17),
    "Sidecar": ([i("Cognac", 50, "ml"), i("Triple Sec", 20, "ml"), i("Lemon juice", 20, "ml")], S, 24.89),
    "Mai Tai": ([i("Gold Rum", 30, "ml"), i("Rhum agricole", 30, "ml"), i("Orange Curaçao", 15, "ml"), i("Orgeat Syrup", 15, "ml"), i("Lime juice", 30, "ml"), i("Simple Syrup", 7.5, "ml")], S, 18.82),
    "Cosmopolitan": ([i("Vodka", 40, "ml"), i("Cointreau", 15, "ml"), i("Lime juice", 15, "ml"), i("Cranberry juice", 30, "ml")], S, 17.6),
    "French 75": ([i("Gin", 30, "ml"), i("Lemon juice", 15, "ml"), i("Simple Syrup", 15, "ml"), i("Champagne", 60, "ml")], S, 12.8),
    "Aviation": ([i("Gin", 45, "ml"), i("Maraschino", 15, "ml"), i("Lemon juice", 15, "ml"), i("Crème de Violette", 1, "barspoon")], S, 24.32),
    "Last Word": ([i("Gin", 22.5, "ml"), i("Green Chartreuse", 22.5, "ml"), i("Maraschino", 22.5, "ml"), i("Lime juice", 22.5, "ml")], S, 25.4),
    "Boulevardier": ([i("Bourbon Whiskey", 45, "ml"), i("Campari", 30, "ml"), i("Sweet Vermouth", 30, "ml")], T, 24.52),
    "Bee's Knees": ([i("Gin", 60, "ml"), i("Honey Syrup", 15, "ml"), i("Lemon juice", 22.5, "ml"), i("Orange juice", 22.5, "ml")], S, 16.0),
    "John Collins": ([i("Gin", 60, "ml"), i("Lemon juice", 30, "ml"), i("Simple Syrup", 15, "ml"), i("Club soda", 60, "ml")], S, 11.64),
    "Vieux Carré": ([i("Rye whiskey", 30, "ml"), i("Cognac", 30, "ml"), i("Sweet Vermouth", 30, "ml"), i("Bénédictine", 1, "teaspoon"), i("Peychauds Bitters", 2, "dashes")], T, 27.25),
    "Pisco Sour": ([i("Pisco", 60, "ml"), i("Lemon juice", 30, "ml"), i("Simple Syrup", 20, "ml"), i("Egg White", 1, "drops")], S, 17.45),
    "Moscow Mule": ([i("Vodka", 45, "ml"), i("Ginger ale", 120, "ml"), i("Lime juice", 10, "ml")], B, 9.35),
    "Dark 'n' Stormy": ([i("Dark Rum", 60, "ml"), i("Ginger ale", 100, "ml"), i("Lime juice", 15, "ml")], B, 12.47),
    "Bloody Mary": ([i("Vodka", 45, "ml"), i("Tomato juice", 90, "ml"), i("Lemon juice", 15, "ml"), i("Worcestershire Sauce", 2, "dashes"), i("Tabasco", 1, "dash"), i("Pepper", 1, "pinch"), i("Salt", 1, "pinch")], B, 10.78),
    "Piña Colada": ([i("White Rum", 50, "ml"), i("Coconut Cream", 30, "ml"), i("Pineapple juice", 50, "ml")], L, 12.31),
    "Clover Club": ([i("Gin", 45, "ml"), i("Raspberry Syrup", 15, "ml"), i("Lemon juice", 15, "ml"), i("Egg White", 1, "drops"), i("Dry Vermouth", 15, "ml")], S, 18.4),
    "Corpse Reviver #2": ([i("Gin", 30, "ml"), i("Cointreau", 30, "ml"), i("Lillet Blanc", 30, "ml"), i("Lemon juice", 30, "ml"), i("Absinthe", 1, "dash")], S, 19.46),
    "Hanky Panky": ([i("Gin", 45, "ml"), i("Sweet Vermouth", 45, "ml"), i("Fernet Branca", 7.5, "ml")], T, 24.81),
    "Brandy Crusta": ([i("Brandy", 52, "ml"), i("Maraschino", 7, "ml"), i("Orange Curaçao", 1, "barspoon"), i("Lemon juice", 15, "ml"), i("Simple Syrup", 1, "barspoon"), i("Angostura aromatic bitters", 2, "dashes")], T, 26.13),
    "Mary Pickford": ([i("White Rum", 45, "ml"), i("Pineapple juice", 45, "ml"), i("Maraschino", 7.5, "ml"), i("Grenadine Syrup", 5, "ml")], S, 15.92),
    "Paper Plane": ([i("Bourbon Whiskey", 30, "ml"), i("Amaro Nonino", 30, "ml"), i("Aperol", 30, "ml"), i("Lemon juice", 30, "ml")], S, 17.2),
    "Penicillin": ([i("Scotch whiskey", 60, "ml"), i("Islay Scotch Whiskey", 7.5, "ml"), i("Lemon juice", 22.5, "ml"), i("Honey Syrup", 22.5, "ml"), i("Ginger", 2, "slices")], S, 19.2),
    "Aperol Spritz": ([i("Prosecco", 90, "ml"), i("Aperol", 60, "ml"), i("Club soda", 30, "ml")], B, 8.33),
}
# Difford's Guide (diffordsguide.com, "Alcohol content" of each recipe page; it writes chilled
# water into the recipe and counts melt by method on top).
DIFFORDS: dict[str, tuple[list[dict[str, Any]], Method, float]] = {
    "Daiquiri (Difford's recipe), /cocktails/recipe/611": ([i("Light white rum", 50, "ml"), i("Lime juice", 15, "ml"), i("Rich sugar syrup", 10, "ml"), i("Chilled water", 10, "ml")], S, 19.0),
    "Sidecar, /cocktails/recipe/4791": ([i("Cognac", 45, "ml"), i("Triple sec", 30, "ml"), i("Lemon juice", 15, "ml"), i("Chilled water", 10, "ml")], S, 24.19),
    "Sidecar (Difford's spec), /cocktails/recipe/1773": ([i("Cognac", 45, "ml"), i("Cointreau", 22.5, "ml"), i("Lemon juice", 15, "ml"), i("Rich sugar syrup", 5, "ml"), i("Chilled water", 7.5, "ml"), i("Saline solution", 4, "drops")], S, 20.87),
}
# fmt: on
PUBLISHED = {**BAR_ASSISTANT, **DIFFORDS}


def test_twenty_classics_have_a_published_figure() -> None:
    assert len(BAR_ASSISTANT) >= 20


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_estimates_are_within_two_points_of_published_figures(name: str) -> None:
    ingredients, method, published = PUBLISHED[name]
    strength = estimate(ingredients, method=method)
    assert strength.unknown == (), name  # every ingredient is known: nothing guessed
    assert strength.abv is not None
    assert abs(strength.abv - published) <= 2.0, (name, strength.abv, published)


# Alcohol per serve as Diageo Bar Academy publishes it (diageobaracademy.com recipe pages): it
# does not depend on dilution, so it checks the base's strengths and the volume table. Only
# recipes whose brands are bottled at the base's typical strength (a Tanqueray, at 43.1-47.3 %,
# is not the base's 40 % gin).
# fmt: off
DIAGEO: list[tuple[str, list[dict[str, Any]], float]] = [
    ("Australian Mojito (Captain Morgan Original Spiced Gold), 12.6 g per serve",
     [i("Captain Morgan Original Spiced Gold", 45, "ml"), i("Soda water", 45, "ml"), i("Lime juice", 25, "ml"), i("Sugar syrup", 15, "ml"), i("Mint leaves", 10, "")], 12.6),
    ("Manhattan - Sweet (Bulleit Bourbon), 1.6 standard drinks of 10 g",
     [i("Bulleit Bourbon", 30, "ml"), i("Sweet vermouth", 20, "ml"), i("Maraschino liqueur", 10, "ml"), i("Angostura bitters", 1.5, "dashes")], 16.0),
    ("Affinity (Johnnie Walker Black Label), 12.8 g per serve",
     [i("Johnnie Walker Black Label", 0.75, "oz"), i("Sweet vermouth", 0.75, "oz"), i("Dry vermouth", 0.75, "oz"), i("Bitters", 2, "dashes")], 12.8),
]
# fmt: on


@pytest.mark.parametrize(("source", "ingredients", "grams"), DIAGEO)
def test_alcohol_per_serve_matches_published_grams(
    source: str, ingredients: list[dict[str, Any]], grams: float
) -> None:
    strength = estimate(ingredients, ["Stir"])
    assert strength.unknown == ()
    assert strength.alcohol_g == pytest.approx(grams, rel=0.10), source


def test_dilution_by_method() -> None:
    # The published convention: a share of the starting volume, by method only.
    assert dilution(Method.SHAKEN) == 0.25
    assert dilution(Method.STIRRED) == 0.20
    assert dilution(Method.SHAKEN) > dilution(Method.STIRRED) > dilution(Method.BUILT)
    assert dilution(Method.BUILT) == 0.10
    assert dilution(Method.BLENDED) == 0.25
    assert dilution(Method.TOPPED) == dilution(Method.NONE) == 0.0


@pytest.mark.parametrize(
    ("steps", "method"),
    [
        ("Shake hard with ice and double strain.", Method.SHAKEN),
        ("Secouer vigoureusement au shaker, filtrer.", Method.SHAKEN),
        ("Frapper au shaker avec des glaçons.", Method.SHAKEN),
        ("Stir in a mixing glass and strain into a coupe.", Method.STIRRED),
        ("Remuer au verre à mélange puis filtrer.", Method.STIRRED),
        ("Mélanger doucement.", Method.STIRRED),
        ("Build over ice in a highball glass.", Method.BUILT),
        ("Construire directement dans le verre sur glaçons.", Method.BUILT),
        ("Verser sur de la glace pilée, compléter avec le soda.", Method.BUILT),
        ("Blend with a cup of crushed ice until smooth.", Method.BLENDED),
        ("Mixer au mixeur avec de la glace.", Method.BLENDED),
        ("Pour the cassis into a flute and top with champagne.", Method.TOPPED),
    ],
)
def test_method_read_from_steps_in_english_and_french(steps: str, method: Method) -> None:
    assert method_of([steps]) is method


def test_method_argument_wins_and_no_steps_means_built_or_stirred() -> None:
    spirits = [i("Gin", 6), i("Dry vermouth", 1)]
    assert estimate(spirits, ["Shake"], method="stirred").method == "stirred"
    assert estimate(spirits).method == "stirred"
    assert estimate([*spirits, i("Ice", None, "")]).method == "built"
    assert estimate([i("Gin", 5), i("Tonic", None, "top up")]).method == "built"
    assert method_of([]) is None and method_of(["Garnish and serve."]) is None


def test_units_from_the_one_volume_table() -> None:
    def volume(amount: float | None, unit: str, name: str = "Gin") -> float:
        return estimate([i(name, amount, unit)], method=Method.NONE).volume_ml

    assert volume(4, "cl") == 40 and volume(40, "ml") == 40 and volume(0.04, "l") == 40
    assert volume(1.5, "oz") == 45  # bars pour 30 ml to the ounce
    assert volume(2, "dashes", "Angostura") == pytest.approx(1.8)
    assert volume(3, "traits", "Angostura") == pytest.approx(2.7)
    assert volume(1, "barspoon", "Sugar syrup") == 5 and volume(1, "bar spoon", "Sugar syrup") == 5
    assert volume(1, "cuillère à soupe", "Miel") == 15 and volume(2, "tsp", "Miel") == 10
    assert volume(10, "drops", "Saline solution") == pytest.approx(0.5)
    assert volume(1, "splash", "Soda water") == 15
    assert volume(None, "top up", "Soda water") == 100
    assert volume(None, "compléter", "Champagne") == 90
    assert volume(None, "", "Ginger beer") == 100
    assert volume(8, "leaves", "Mint") == 0 and volume(2, "wedges", "Lime") == 0
    assert volume(1, "", "Egg white") == 30  # a counted egg white pours
    assert units.ML_PER is volumes.ML_PER and units.COUNT_ALIASES is volumes.COUNT_ALIASES
    assert set(units.COUNT_UNITS) == set(volumes.COUNT_ML)  # every count unit: a volume or none


def test_unknown_strengths_are_named_never_guessed() -> None:
    drink = [
        i("Gin", 5),
        i("House shrub", 2),
        i("Lime juice", 2),
        i("Amaro", 2),
        i("Mint", 6, "leaves"),
    ]
    strength = estimate(drink, ["Shake"])
    assert strength.unknown == ("House shrub", "Amaro")
    assert strength.abv is not None  # what is known is still said...
    assert strength.alcohol_g == pytest.approx(50 * 0.40 * ETHANOL_G_PER_ML)  # ...and no more
    # Ice, water, juices and syrups are known: 0 %.
    assert (
        estimate(
            [i("Lime juice", 3), i("Water", 2), i("Sugar syrup", 1), i("Ice", None, "")]
        ).unknown
        == ()
    )
    assert estimate([i("Vodka", None, "to taste")]).unknown == ("Vodka",)
    assert estimate([]).abv is None and estimate([i("Yuzu kosho", 1)]).abv is None


def test_sparkling_tops_are_poured_after_the_shake() -> None:
    shaken = [i("Gin", 3), i("Lemon juice", 1.5), i("Sugar syrup", 1)]
    with_top = estimate([*shaken, i("Champagne", 6)], ["Shake, strain, top with champagne."])
    alone = estimate(shaken, ["Shake"])
    assert with_top.volume_ml == pytest.approx(alone.volume_ml + 60)
    assert with_top.alcohol_g == pytest.approx(alone.alcohol_g + 60 * 0.12 * ETHANOL_G_PER_ML)


def test_hostile_ingredients_never_raise() -> None:
    odd: list[Any] = [
        {"name": None, "amount": "lots", "unit": None},
        {"name": "Gin", "amount": float("nan"), "unit": "cl"},
        {"name": "Gin", "amount": -3, "unit": "cl"},
        {"name": "Gin", "amount": 1e300, "unit": "l"},
        "not a mapping",
        {},
    ]
    strength = estimate(odd, [None, 3, "shake"])  # type: ignore[list-item]
    assert isinstance(strength, Strength)
    assert strength.volume_ml <= 2000 * 1.8


def test_standard_drinks_by_the_bars_convention() -> None:
    negroni = estimate(*(lambda ings, steps: (ings, [steps]))(*IBA["Negroni"]))
    assert negroni.standard_drinks(10) == pytest.approx(negroni.alcohol_g / 10)
    assert negroni.standard_drinks(10) > negroni.standard_drinks(14)
    assert drink_grams(0, "fr") == 10 and drink_grams(0, "en") == 14
    assert drink_grams(8, "fr") == 8 and drink_grams(14, "fr") == 14
