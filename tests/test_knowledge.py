"""The ingredient knowledge base: its rows, `match()` on text as models and bartenders write it
(English and French), search-as-you-type, the illustration's colours through it, and a
recipe's allergens."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barapp.pictures.ingredient_colours import INGREDIENTS, ingredient
from barapp.pictures.keywords import first_match, fold
from barapp.shelf import allergens
from barapp.shelf.knowledge import (
    ALWAYS_THERE,
    CUSTOM,
    Allergen,
    Category,
    Known,
    base,
    key_of,
    match,
    normal,
    search,
)

# (text as written, the key it is) — real phrasings, English and French.
PHRASINGS = [
    ("Gin", "gin"),
    ("gin (London dry)", "gin"),
    ("a good London dry gin", "gin"),
    ("London Dry Gin", "gin"),
    ("Genièvre", "gin"),
    ("Ginger beer", "ginger_beer"),
    ("Bière de gingembre", "ginger_beer"),
    ("ginger ale", "ginger_ale"),
    ("Fresh ginger", "ginger"),
    ("Gingembre frais", "ginger"),
    ("Vodka", "vodka"),
    ("Citron vodka", "citron_vodka"),
    ("White rum", "white_rum"),
    ("Rhum blanc", "white_rum"),
    ("Rhum ambré", "aged_rum"),
    ("Aged rum", "aged_rum"),
    ("Rum", "rum"),
    ("Rhum agricole blanc", "rhum_agricole"),
    ("Cachaça", "cachaca"),
    ("Tequila blanco", "tequila"),
    ("Tequila 100% agave", "tequila"),
    ("Mezcal", "mezcal"),
    ("Bourbon whiskey", "bourbon"),
    ("Rye whiskey", "rye_whiskey"),
    ("Whisky de seigle", "rye_whiskey"),
    ("Scotch", "scotch"),
    ("Irish whiskey", "irish_whiskey"),
    ("Cognac VSOP", "cognac"),
    ("Calvados Pays d'Auge", "calvados"),
    ("Pisco", "pisco"),
    ("Cointreau", "cointreau"),
    ("Triple sec", "triple_sec"),
    ("Liqueur d'orange", "triple_sec"),
    ("Grand Marnier", "grand_marnier"),
    ("Maraschino liqueur", "maraschino"),
    ("Liqueur de marasquin", "maraschino"),
    ("Green Chartreuse", "green_chartreuse"),
    ("Chartreuse verte", "green_chartreuse"),
    ("Liqueur (Chartreuse verte)", "green_chartreuse"),
    ("Chartreuse jaune", "yellow_chartreuse"),
    ("Bénédictine", "benedictine"),
    ("Crème de cassis", "creme_de_cassis"),
    ("creme de cassis", "creme_de_cassis"),
    ("Crème de mûre", "creme_de_mure"),
    ("Crème de violette", "creme_de_violette"),
    ("St-Germain", "elderflower_liqueur"),
    ("Liqueur de fleur de sureau", "elderflower_liqueur"),
    ("Kahlúa", "coffee_liqueur"),
    ("Coffee liqueur", "coffee_liqueur"),
    ("Baileys", "irish_cream"),
    ("Campari", "campari"),
    ("Aperol", "aperol"),
    ("Fernet-Branca", "fernet_branca"),
    ("Sweet vermouth", "sweet_vermouth"),
    ("Sweet red vermouth", "sweet_vermouth"),
    ("Vermouth rouge", "sweet_vermouth"),
    ("Dry vermouth", "dry_vermouth"),
    ("Noilly Prat", "dry_vermouth"),
    ("Lillet blanc", "lillet_blanc"),
    ("Champagne brut", "champagne"),
    ("Prosecco", "prosecco"),
    ("Fino sherry", "fino_sherry"),
    ("Bière blonde", "beer"),
    ("Fresh lime juice", "lime_juice"),
    ("Freshly squeezed lime juice", "lime_juice"),
    ("juice of 1 lime", "lime_juice"),
    ("Juice of half a lime", "lime_juice"),
    ("jus d'un citron vert", "lime_juice"),
    ("Jus de citron vert frais", "lime_juice"),
    ("Jus de citron vert fraîchement pressé", "lime_juice"),
    ("citrons verts", "lime_juice"),
    ("Limes", "lime_juice"),
    ("Lime wedges", "lime_juice"),
    ("Lemon juice", "lemon_juice"),
    ("Jus de citron", "lemon_juice"),
    ("Le jus de 2 citrons", "lemon_juice"),
    ("Orange juice", "orange_juice"),
    ("Jus d'orange pressé", "orange_juice"),
    ("Orange", "orange"),
    ("Orange peel", "orange_peel"),
    ("zest of 1 orange", "orange_peel"),
    ("Zeste de citron", "lemon_peel"),
    ("Cranberry juice", "cranberry_juice"),
    ("Jus de canneberge", "cranberry_juice"),
    ("Pineapple juice", "pineapple_juice"),
    ("Simple syrup", "simple_syrup"),
    ("Sugar syrup", "simple_syrup"),
    ("Sirop de sucre", "simple_syrup"),
    ("sirop de sucre de canne", "simple_syrup"),
    ("cane sugar syrup", "simple_syrup"),
    ("Gomme", "simple_syrup"),
    ("Demerara syrup", "demerara_syrup"),
    ("Honey syrup", "honey_syrup"),
    ("Miel", "honey"),
    ("Agave nectar", "agave_syrup"),
    ("Grenadine", "grenadine"),
    ("Orgeat", "orgeat"),
    ("Sirop d'orgeat", "orgeat"),
    ("2 dashes Angostura", "angostura"),
    ("Angostura® bitters", "angostura"),
    ("Peychaud's Bitters", "peychauds"),
    ("Orange bitters", "orange_bitters"),
    ("Celery bitters", "celery_bitters"),
    ("Egg white", "egg_white"),
    ("1 egg white", "egg_white"),
    ("Blanc d'œuf", "egg_white"),
    ("Blancs d'oeufs", "egg_white"),
    ("Egg", "whole_egg"),
    ("Jaune d'œuf", "egg_yolk"),
    ("Heavy cream", "cream"),
    ("Crème liquide", "cream"),
    ("Crème fraîche", "creme_fraiche"),
    ("Milk", "milk"),
    ("Coconut cream", "coconut_cream"),
    ("Lait de coco", "coconut_cream"),
    ("Mint", "mint"),
    ("Mint leaves", "mint"),
    ("feuilles de menthe", "mint"),
    ("Menthe fraîche", "mint"),
    ("Brins de menthe", "mint"),
    ("Basil leaves", "basil"),
    ("Basilic", "basil"),
    ("Romarin", "rosemary"),
    ("Concombre", "cucumber"),
    ("Tranches de concombre", "cucumber"),
    ("Framboises", "raspberry"),
    ("Mûres fraîches", "blackberry"),
    ("Strawberries", "strawberry"),
    ("Cherries", "cherry"),
    ("Luxardo cherries", "cherry"),
    ("Salt", "salt"),
    ("Pincée de sel", "salt"),
    ("Sugar cube", "sugar"),
    ("1 cuillère à café de sucre", "sugar"),
    ("Soda water", "soda_water"),
    ("Eau gazeuse", "soda_water"),
    ("Tonic", "tonic_water"),
    ("Cola", "cola"),
    ("Coca-Cola", "cola"),
    ("Limonade", "lemonade"),
    ("Espresso", "espresso"),
    ("Café expresso", "espresso"),
    ("Hot coffee", "coffee"),
    ("Cold brew", "cold_brew"),
    ("Thé vert", "green_tea"),
    ("Glaçons", "ice"),
    ("Crushed ice", "ice"),
    ("Glace pilée", "ice"),
    ("Eau", "water"),
    ("Eau chaude", "water"),
    ("Soy milk", "soy_milk"),
    ("Lait d'amande", "almond_milk"),
    ("Oat milk", "oat_milk"),
]


@pytest.mark.parametrize(("text", "key"), PHRASINGS)
def test_real_phrasings_match_their_ingredient(text: str, key: str) -> None:
    found = match(text)
    assert found is not None, text
    assert found.key == key, (text, found.key)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Yuzu kosho", "house syrup", "sirop maison", "signature bitters", "42", "?!"],
)
def test_what_the_base_does_not_know_matches_nothing(text: str) -> None:
    assert match(text) is None


def test_the_base_is_a_few_hundred_well_formed_rows() -> None:
    known = base()
    assert 250 <= len(known) <= 350
    for key, row in known.items():
        assert key == row.key and key.replace("_", "").isalnum() and key.islower(), key
        assert row.en and row.fr, key
        assert row.abv is None or 0 <= row.abv <= 96, key
        assert not row.family or row.family in known, key
        assert not row.colour or (row.colour.startswith("#") and len(row.colour) == 7), key
        assert set(row.flags) <= set("sice"), key
    # Every category is used, every allergen is carried by some row.
    assert {row.category for row in known.values()} == set(Category)
    assert set().union(*(row.allergens for row in known.values())) == set(Allergen)
    assert set(known) >= ALWAYS_THERE
    # Only a few rows have no strength, each one whose bottlings really differ.
    assert [k for k, row in known.items() if row.abv is None] == ["amaro"]


def test_allergens_where_a_guest_expects_them() -> None:
    expected = {
        "egg_white": Allergen.EGG,
        "advocaat": Allergen.EGG,
        "irish_cream": Allergen.MILK,
        "cream": Allergen.MILK,
        "orgeat": Allergen.NUTS,
        "amaretto": Allergen.NUTS,
        "falernum": Allergen.NUTS,
        "almond_milk": Allergen.NUTS,
        "peanut_butter": Allergen.PEANUTS,
        "beer": Allergen.GLUTEN,
        "oat_milk": Allergen.GLUTEN,
        "sweet_vermouth": Allergen.SULPHITES,
        "champagne": Allergen.SULPHITES,
        "celery_bitters": Allergen.CELERY,
        "soy_milk": Allergen.SOY,
    }
    for key, allergen in expected.items():
        assert allergen in base()[key].allergens, key
    assert not base()["coconut_cream"].allergens  # not dairy
    assert not base()["gin"].allergens and not base()["bourbon"].allergens  # distilled


def test_every_name_and_alias_matches_its_own_row() -> None:
    """No alias is shadowed by another row's: each reads back as the row that lists it."""
    wrong = [
        (text, row.key, found.key if found else None)
        for row in base().values()
        for text in (row.en, row.fr, *row.aliases)
        if (found := match(text)) is not row
    ]
    assert wrong == []


def test_forms_of_names_are_unique_across_rows() -> None:
    names = Counter(name for row in base().values() for name in {normal(row.en), normal(row.fr)})
    assert [name for name, n in names.items() if n > 1] == []


def test_lime_and_its_juice_are_one_ingredient_orange_and_its_juice_two() -> None:
    limes = {match(text) for text in ("lime", "citron vert", "lime juice", "juice of 1 lime")}
    assert limes == {base()["lime_juice"]}
    assert match("orange") is not match("orange juice")
    assert match("juice of 1 orange") is match("orange juice")


names = st.sampled_from(sorted({text for row in base().values() for text in (row.en, row.fr)}))


@settings(max_examples=300, deadline=None)
@given(names, st.sampled_from(["fresh ", "Fresh ", "frais ", "", "2 cl ", "½ "]))
def test_match_ignores_case_accents_and_how_it_comes(name: str, before: str) -> None:
    expected = match(name)
    assert expected is not None
    assert match(name.upper()) is expected
    assert match(fold(name)) is expected  # without accents
    assert match(f"  {name}  ") is expected
    assert match(before + name) is expected
    assert match(f"{name} (optional)") is expected


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_match_never_raises(text: str) -> None:
    found = match(text)
    assert found is None or isinstance(found, Known)
    key = key_of(text)
    assert key == found.key if found else key.startswith(CUSTOM)


def test_key_of_is_the_base_key_or_custom() -> None:
    assert key_of("Fresh lime juice") == "lime_juice"
    assert key_of("Yuzu kosho") == "custom-yuzu kosho"


def test_match_is_fast_on_an_import_of_many_drinks() -> None:
    """Seeding from 100,000 cocktails reads ~600,000 names, most of them seen before."""
    texts = [f"{t} {i % 50}" for i in range(2000) for t, _ in PHRASINGS[:10]]
    start = time.perf_counter()
    for text in texts:
        match(text)
    first = time.perf_counter() - start
    assert first / len(texts) < 0.0005  # new texts: under half a millisecond each
    start = time.perf_counter()
    for _ in range(30):
        for text in texts:
            match(text)
    assert (time.perf_counter() - start) / (30 * len(texts)) < 0.00002  # seen ones: cached


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("gin", "gin"),
        ("Citr", "lemon_juice"),
        ("chart", "green_chartreuse"),
        ("crème de cas", "creme_de_cassis"),
    ],
)
def test_search_as_you_type_puts_the_shortest_name_first(typed: str, first: str) -> None:
    found = search(typed)
    assert found and found[0].key == first
    assert len(found) == len({k.key for k in found}) <= 12


def test_search_finds_a_word_inside_a_name_after_the_names_that_start_with_it() -> None:
    keys = [k.key for k in search("vert", limit=50)]
    assert "lime_juice" in keys  # "citron vert": a word that starts with it
    assert search("") == [] and search("   ") == []
    assert search("gi", limit=3) == search("gi")[:3]


# Names as the drawing's tests write them: the colour through the base must be the colour the
# keyword table gave them before the base knew them.
DRAWN = [
    "Gin", "Campari", "Sweet vermouth", "Tequila blanco", "Cointreau", "Jus de citron vert",
    "White rum", "Lime juice", "Sugar syrup", "Mint", "Soda water", "Vodka", "Coffee liqueur",
    "Espresso", "Prosecco", "Aperol", "Eau gazeuse", "Glaçons", "Blue curaçao", "Lemonade",
    "Jus de citron", "Sirop de sucre", "Basilic", "Lemon juice", "Syrup", "Champagne",
    "Ginger beer", "Coconut cream", "Pineapple juice", "Crushed ice", "Concombre",
    "Sirop de sureau", "Tonic", "Rye whiskey", "Angostura bitters", "Aged rum", "Orgeat",
    "Green chartreuse", "Maraschino liqueur", "Bourbon", "Blanc d'œuf", "Kahlua", "Baileys",
    "Grand Marnier", "Irish whiskey", "Hot coffee", "Cream", "Crème de mûre", "Glace pilée",
    "Dry vermouth", "Whisky", "Miel", "Eau chaude", "Rhum ambré", "Passion fruit syrup",
    "Grenadine", "Crème de violette", "Cranberry juice", "Orange juice", "Grapefruit juice",
    "Triple sec", "Egg white", "Honey", "Peychaud's bitters", "Absinthe", "Cola",
]  # fmt: skip


@pytest.mark.parametrize("name", DRAWN)
def test_the_drawing_gets_its_colours_through_the_base_unchanged(name: str) -> None:
    known = match(name)
    assert known is not None and known.colour, name
    old = first_match(INGREDIENTS, fold(name))
    assert old is not None
    assert ingredient(name) == (old[0], float(old[1]), "".join(old[2:]))


def test_names_the_base_does_not_know_keep_the_keyword_colours() -> None:
    assert match("Yuzu kosho") is None
    assert ingredient("Yuzu kosho") == ("#f3eaa0", 0.7, "")  # the table's yuzu row
    assert ingredient("Something unheard of")[0] == "#e6d3a3"


def test_sparkling_rows_are_flagged_for_the_strength() -> None:
    for key in (
        "soda_water",
        "tonic_water",
        "ginger_beer",
        "cola",
        "champagne",
        "prosecco",
        "beer",
    ):
        assert base()[key].sparkling, key
    assert not base()["lime_juice"].sparkling


def test_a_recipes_allergens_come_from_its_ingredients_names() -> None:
    sour = ["Bourbon", "Fresh lemon juice", "Sugar syrup", "Blanc d'œuf", "Angostura"]
    assert allergens.of_recipe(sour) == {Allergen.EGG}
    mai_tai = ["Aged rum", "Rhum agricole", "Orange curaçao", "Sirop d'orgeat", "Lime juice"]
    assert allergens.of_recipe(mai_tai) == {Allergen.NUTS}
    assert allergens.of_recipe(["Gin", "Tonic"]) == set()
    assert allergens.of_recipe(["Vermouth rouge", "Baileys", "Yuzu kosho"]) == {
        Allergen.SULPHITES,
        Allergen.MILK,
    }
    assert allergens.in_order({Allergen.SOY, Allergen.EGG, Allergen.MILK}) == [
        Allergen.EGG,
        Allergen.MILK,
        Allergen.SOY,
    ]
    assert set(allergens.LABELS) == set(allergens.ICONS) == set(Allergen)
