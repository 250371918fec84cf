"""What a card and a cocktail page say of a drink's strength and allergens, in both languages,
with the bar's standard drink (10 g in French, 14 g in English, or the bar's setting).

The strengths are set on the rows: this tests the display, not the estimate."""

from __future__ import annotations

import dataclasses
import html as html_lib
import re
from typing import Any

from barapp.app import create_app
from barapp.store.tables import Cocktail
from tests.conftest import app_client
from tests.factories import add_cocktails, cocktail_doc


def text_of(page: str) -> str:
    """The page's text, tags dropped and spaces collapsed (as read, not as written)."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def strong_drink(abv: float = 18.0, alcohol_g: float = 19.6) -> str:
    await add_cocktails(
        cocktail_doc(
            "Strong One",
            language="en",
            ingredients=[
                {"name": "Gin", "amount": 4, "unit": "cl"},
                {"name": "Egg white", "amount": 2, "unit": "cl"},
            ],
            garnish="",
        )
    )
    await Cocktail.update(
        {Cocktail.abv: abv, Cocktail.abv_key: abv, Cocktail.alcohol_g: alcohol_g}
    ).where(Cocktail.name == "Strong One")
    row = await Cocktail.select(Cocktail.id).where(Cocktail.name == "Strong One").first()
    return str(row["id"])


async def test_card_and_page_in_english_use_14_g(database: Any) -> None:
    ident = await strong_drink()
    async with app_client(create_app(database), lang="en") as client:
        card = text_of((await client.get("/cocktails")).text)
        page = text_of((await client.get(f"/cocktails/{ident}")).text)
    assert "≈ 18 % · 1.4 drinks" in card
    assert "≈ 18 % alcohol · 1.4 standard drinks (14 g of alcohol each)" in page
    # Allergens: the icon goes with the text, never instead of it.
    assert "🥚 egg" in card and "🥚 egg" in page


async def test_card_and_page_in_french_use_10_g(database: Any) -> None:
    ident = await strong_drink()
    async with app_client(create_app(database), lang="fr") as client:
        card = text_of((await client.get("/cocktails")).text)
        page = text_of((await client.get(f"/cocktails/{ident}")).text)
    assert "≈ 18 % · 2 verres" in card  # 19.6 g / 10 g
    assert "2 verres standard (10 g d'alcool chacun)" in page
    assert "🥚 œuf" in card and "🥚 œuf" in page


async def test_the_bars_setting_wins_over_the_language(database: Any) -> None:
    ident = await strong_drink()
    settings = dataclasses.replace(database, standard_drink_grams=14)
    async with app_client(create_app(settings), lang="fr") as client:
        page = text_of((await client.get(f"/cocktails/{ident}")).text)
    assert "1,4 verres standard (14 g d'alcool chacun)" in page


async def test_unknown_strength_is_named_never_guessed(database: Any) -> None:
    await add_cocktails(
        cocktail_doc(
            "Mystery",
            language="en",
            ingredients=[{"name": "<b>House</b> syrup", "amount": 3, "unit": "cl"}],
            garnish="",
        ),
        cocktail_doc(
            "Cooler",
            language="en",
            alcoholic=False,
            ingredients=[{"name": "Lime juice", "amount": 3, "unit": "cl"}],
            garnish="",
        ),
    )
    async with app_client(create_app(database), lang="en") as client:
        raw = (await client.get("/cocktails")).text
    text = text_of(raw)
    assert "Strength unknown" in text
    assert "strength unknown: <b>House</b> syrup" in text
    assert "<b>House</b>" not in raw  # escaped
    assert "0 %" in text and "≈ 0" not in text


async def test_a_drink_saved_before_its_derived_columns_is_derived_when_shown(
    database: Any,
) -> None:
    await add_cocktails(
        cocktail_doc(
            "Old One",
            language="en",
            ingredients=[{"name": "Egg white", "amount": 2, "unit": "cl"}],
            garnish="",
        )
    )
    await Cocktail.update({Cocktail.derived_version: "", Cocktail.allergen_mask: 0}, force=True)
    async with app_client(create_app(database), lang="en") as client:
        assert "🥚 egg" in text_of((await client.get("/cocktails")).text)
