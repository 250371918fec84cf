"""Quantities in the bar's unit system (UNIT_SYSTEM): volumes convert, counts stay."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.cocktails.units import convert, format_oz, volume_unit
from barapp.settings import Settings
from tests.factories import add_cocktails, cocktail_doc


@pytest.mark.parametrize(
    ("amount", "unit", "system", "expected"),
    [
        (5, "cl", "cl", (5, "cl")),
        (5, "cl", "ml", (50, "ml")),
        (4.5, "cl", "oz", (1.5, "oz")),
        (2.5, "cl", "oz", (0.75, "oz")),
        (2, "oz", "cl", (6, "cl")),
        (0.75, "oz", "ml", (22.5, "ml")),
        (2.25, "cl", "oz", (0.75, "oz")),  # halves round up
        (25, "ml", "cl", (2.5, "cl")),
        (1, "Fl. Oz", "cl", (3, "cl")),
        (1, "l", "cl", (100, "cl")),
        (0.1, "cl", "oz", (0.03, "oz")),  # too small for quarter ounces: kept, not zero
        (2, "dashes", "oz", (2, "dashes")),
        (10, "leaves", "ml", (10, "leaves")),
        (1, "bar spoon", "oz", (1, "bar spoon")),
        (None, "", "oz", (None, "")),
        (None, "cl", "ml", (None, "cl")),
    ],
)
def test_convert(amount: Any, unit: str, system: str, expected: tuple[Any, str]) -> None:
    assert convert(amount, unit, system) == expected


def test_volume_units_are_recognised_and_counts_are_not() -> None:
    assert [volume_unit(u) for u in ("CL", "ml.", "ounces", "once", "fl  oz")] == [
        "cl",
        "ml",
        "oz",
        "oz",
        "oz",
    ]
    assert [volume_unit(u) for u in ("dash", "leaves", "feuilles", "pinch", "")] == [None] * 5


@pytest.mark.parametrize(
    ("amount", "text"), [(1.75, "1¾"), (0.25, "¼"), (2, "2"), (0.5, "½"), (0.03, None)]
)
def test_ounces_read_as_fractions(amount: float, text: str | None) -> None:
    assert format_oz(amount) == text


@pytest.mark.parametrize(
    ("system", "lang", "expected"),
    [
        ("cl", "en", ["4.5 cl", "2.5 cl", "2 dashes", "soda"]),
        ("cl", "fr", ["4,5 cl", "2,5 cl", "2 dashes", "soda"]),
        ("ml", "en", ["45 ml", "25 ml", "2 dashes", "soda"]),
        ("oz", "en", ["1½ oz", "¾ oz", "2 dashes", "soda"]),
    ],
)
async def test_cocktail_page_shows_the_bars_units(
    database: Settings, system: str, lang: str, expected: list[str]
) -> None:
    await add_cocktails(
        cocktail_doc(
            "Sour",
            slug="sour",
            ingredients=[
                {"name": "Whisky", "amount": 4.5, "unit": "cl"},
                {"name": "Lemon", "amount": 25, "unit": "ml"},
                {"name": "Bitters", "amount": 2, "unit": "dashes"},
                {"name": "Top up", "unit": "soda"},
            ],
        )
    )
    app = create_app(dataclasses.replace(database, unit_system=system))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        html = (await c.get("/cocktails/sour", headers={"accept-language": lang})).text
    quantities = [q.strip() for q in html.split('<span class="quantity">')[1:]]
    assert [q.split("</span>")[0] for q in quantities] == expected
