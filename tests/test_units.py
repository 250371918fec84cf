"""Quantities in the bar's unit system (UNIT_SYSTEM): volumes convert; counts read in the
reader's language, with the plural their number takes there."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.cocktails.units import (
    COUNT_UNITS,
    convert,
    count_unit,
    count_unit_text,
    format_oz,
    format_quantity,
    volume_unit,
)
from barapp.settings import Settings
from barapp.web.i18n import translations
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
        ("cl", "fr", ["4,5 cl", "2,5 cl", "2 traits", "soda"]),
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


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("dash", "dash"),
        ("Dashes", "dash"),
        ("trait", "dash"),
        ("traits", "dash"),
        ("leaves", "leaf"),
        ("feuilles", "leaf"),
        ("brins", "sprig"),
        ("sprig", "sprig"),
        ("bar spoon", "barspoon"),
        ("barspoons", "barspoon"),
        ("Cuillère de bar", "barspoon"),
        ("cuilleres de bar", "barspoon"),
        ("c. à café", None),  # an abbreviation nobody listed: as written
        ("cuillère à soupe", "tablespoon"),
        ("pincée", "pinch"),
        ("pinches", "pinch"),
        ("gouttes", "drop"),
        ("morceaux", "piece"),
        ("tranche", "slice"),
        ("rondelles", "wheel"),
        ("quartier", "wedge"),
        ("wedges", "wedge"),
        ("cubes", "cube"),
        ("zeste", "zest"),
        ("cl", None),
        ("", None),
        ("splash of love", None),
    ],
)
def test_count_units_are_recognised_in_both_languages(written: str, name: str | None) -> None:
    assert count_unit(written) == name


QUANTITIES = [
    # (amount, unit as written, reader's language, shown)
    (2, "dash", "en", "2 dashes"),
    (2, "dash", "fr", "2 traits"),
    (1, "dash", "en", "1 dash"),
    (1, "dash", "fr", "1 trait"),
    (2, "traits", "en", "2 dashes"),
    (1, "traits", "en", "1 dash"),
    (1.5, "dash", "en", "1.5 dashes"),  # English: only 1 is singular
    (1.5, "dash", "fr", "1,5 trait"),  # French: below 2 is singular
    (0.5, "barspoon", "fr", "0,5 cuillère de bar"),
    (2, "bar spoons", "fr", "2 cuillères de bar"),
    (1, "cuillère de bar", "en", "1 barspoon"),
    (3, "cuillères de bar", "en", "3 barspoons"),
    (1, "leaves", "en", "1 leaf"),
    (8, "feuilles", "en", "8 leaves"),
    (1, "feuilles", "fr", "1 feuille"),
    (8, "leaf", "fr", "8 feuilles"),
    (2, "brins", "en", "2 sprigs"),
    (1, "sprig", "fr", "1 brin"),
    (1, "pincée", "en", "1 pinch"),
    (2, "pinch", "en", "2 pinches"),
    (2, "pinch", "fr", "2 pincées"),
    (3, "drops", "fr", "3 gouttes"),
    (2, "piece", "fr", "2 morceaux"),
    (2, "slices", "fr", "2 tranches"),
    (1, "wedge", "fr", "1 quartier"),
    (2, "cube", "en", "2 cubes"),
    (1, "rondelles", "en", "1 wheel"),
    (None, "trait", "en", "dash"),  # no number: the unit alone, singular
    (None, "dashes", "fr", "trait"),
    (2, "splash of love", "fr", "2 splash of love"),  # unknown: as written
    (None, "top", "en", "top"),
    (4.5, "cl", "fr", "4,5 cl"),  # volumes as before
]


@pytest.mark.parametrize(("amount", "unit", "lang", "shown"), QUANTITIES)
def test_count_units_read_in_the_readers_language_with_the_right_plural(
    amount: float | None, unit: str, lang: str, shown: str
) -> None:
    context = {"lang": lang, "unit_system": "cl"}
    ingredient = {"amount": amount, "unit": unit}
    assert format_quantity(_Context(context), ingredient) == shown


class _Context(dict[str, Any]):
    """What `format_quantity` reads of a Jinja context: `get`."""


def test_every_count_unit_has_both_french_forms() -> None:
    french = translations("fr")
    for name, (singular, plural) in COUNT_UNITS.items():
        one, many = french.ngettext(singular, plural, 1), french.ngettext(singular, plural, 2)
        assert (one, many) != (singular, plural) or name in ("cube", "part"), name
        assert count_unit_text(name, 1, "fr") == one
        assert count_unit_text(name, 3, "fr") == many
