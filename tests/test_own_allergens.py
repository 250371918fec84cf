"""The allergens a bartender gives the bar's own items count like the base's: on cards, in the
gallery's "without" filter and in the answer check of a guest who ticked them; a change to
them reaches the drinks already saved. On both engines."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from barapp.cocktails import derived
from barapp.shelf import stock
from barapp.shelf.knowledge import Allergen, Category
from barapp.store.recipe import Ingredient, Recipe
from barapp.store.tables import Cocktail
from barapp.wishes import attempts, shelf_schema
from tests.factories import add_cocktails, cocktail_doc

HOUSE = stock.Custom(
    name="Marie's cordial",
    name_fr="Cordial de Marie",
    category=Category.SYRUP,
    abv=None,
    allergens=frozenset({Allergen.NUTS}),
)


def ingredient(name: str) -> dict[str, Any]:
    return {"name": name, "amount": 2, "unit": "cl"}


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


async def mask_of(name: str) -> int:
    row = await Cocktail.select(Cocktail.allergen_mask).where(Cocktail.name == name).first()
    return int(row["allergen_mask"])


async def test_own_allergens_are_read_by_every_name_of_the_item(database: Any) -> None:
    await stock.put_custom(HOUSE)
    own = await stock.own_allergens()
    assert own[stock.custom_key("Marie's cordial")] == {Allergen.NUTS}
    assert own[stock.custom_key("Cordial de Marie")] == {Allergen.NUTS}
    await stock.put_custom(stock.Custom("Plain syrup", Category.SYRUP, None, frozenset()))
    assert stock.custom_key("Plain syrup") not in await stock.own_allergens()


async def test_a_saved_drink_holds_the_allergens_of_the_bars_own_items(
    database: Any, guest: httpx.AsyncClient
) -> None:
    derived.keep_in_step()
    await stock.put_custom(HOUSE)
    await add_cocktails(
        cocktail_doc(
            "Cordial Sour", ingredients=[ingredient("Gin"), ingredient("Marie's cordial")]
        ),
        cocktail_doc("French Cordial", ingredients=[ingredient("Cordial de Marie")]),
        cocktail_doc("Plain Gin", ingredients=[ingredient("Gin"), ingredient("Lime juice")]),
    )
    assert await mask_of("Cordial Sour") & derived.ALLERGEN_BITS[Allergen.NUTS]
    assert await mask_of("French Cordial") & derived.ALLERGEN_BITS[Allergen.NUTS]
    page = (await guest.get("/cocktails?without=nuts")).text
    assert names_in(page) == ["Plain Gin"]
    cards = (await guest.get("/cocktails")).text.split('<li class="card">')[1:]
    (sour,) = [card for card in cards if "Cordial Sour" in card]
    assert "🌰</span> nuts" in sour  # on its card, icon and text

    # The bartender finds the cordial holds no nuts after all: the saved drinks follow.
    await stock.put_custom(
        stock.Custom(HOUSE.name, HOUSE.category, None, frozenset({Allergen.MILK}), name_fr="")
    )
    assert not await mask_of("Cordial Sour") & derived.ALLERGEN_BITS[Allergen.NUTS]
    assert await mask_of("Cordial Sour") & derived.ALLERGEN_BITS[Allergen.MILK]
    # Its French name went with the change: a drink written with it holds nothing now.
    assert await mask_of("French Cordial") == 0
    assert sorted(names_in((await guest.get("/cocktails?without=nuts")).text)) == [
        "Cordial Sour",
        "French Cordial",
        "Plain Gin",
    ]
    # Removed from the shelf, the item's allergens are no one's word any more.
    await stock.remove(HOUSE.key)
    assert await mask_of("Cordial Sour") == 0


async def test_the_shelf_page_change_reaches_saved_drinks(
    database: Any, bartender: httpx.AsyncClient
) -> None:
    await add_cocktails(cocktail_doc("Cordial Sour", ingredients=[ingredient("Marie's cordial")]))
    assert await mask_of("Cordial Sour") == 0
    await bartender.get("/bar/shelf")
    response = await bartender.post(
        "/bar/shelf/custom",
        data={"name": "Marie's cordial", "category": "syrup", "allergen_egg": "on"},
    )
    assert response.status_code == 303
    assert await mask_of("Cordial Sour") == derived.ALLERGEN_BITS[Allergen.EGG]
    page = (await bartender.get("/cocktails?without=egg")).text
    assert "Cordial Sour" not in names_in(page)


def recipe(*names: str) -> Recipe:
    return Recipe(
        name="Test",
        description="",
        ingredients=[Ingredient(name=n, amount=2, unit="cl") for n in names],
        steps=["Shake with ice."],
        glass="coupe",
        garnish="",
    )


def test_the_answer_check_refuses_an_own_item_holding_a_ticked_allergen() -> None:
    own = stock.own_of(
        [
            stock.Item(
                key=HOUSE.key,
                name_en=HOUSE.name,
                name_fr=HOUSE.name_fr,
                category=HOUSE.category,
                abv=None,
                allergens=HOUSE.allergens,
                in_stock=False,  # out of stock, still what it is
                custom=True,
            )
        ]
    )
    shelf = shelf_schema.offer("free", [], "en", (Allergen.NUTS,), own)
    assert attempts._avoided(recipe("Gin", "Marie's cordial"), shelf) == "nuts"
    assert attempts._avoided(recipe("Gin", "Cordial de Marie"), shelf) == "nuts"
    assert attempts._avoided(recipe("Gin", "Lime juice"), shelf) == ""
    milk_only = shelf_schema.offer("free", [], "en", (Allergen.MILK,), own)
    assert attempts._avoided(recipe("Marie's cordial"), milk_only) == ""


async def test_a_shelf_import_reaches_saved_drinks(database: Any) -> None:
    from barapp.shelf import transfer

    derived.keep_in_step()
    await add_cocktails(cocktail_doc("Cordial Sour", ingredients=[ingredient("Marie's cordial")]))
    item = {"name_en": "Marie's cordial", "custom": True, "allergens": ["soy"], "in_stock": True}
    await transfer.import_text(json.dumps([item]))
    assert await mask_of("Cordial Sour") == derived.ALLERGEN_BITS[Allergen.SOY]
    await transfer.import_text(json.dumps([]), only=True)  # --replace with nothing: gone
    assert await mask_of("Cordial Sour") == 0
