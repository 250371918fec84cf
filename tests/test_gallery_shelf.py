"""The shelf in the gallery: derived values kept in step by every writer, the filters "makeable
now", strength and "without an allergen", the strength sort's keyset pagination, and the
bartender's "missing" line, on both engines.

Exact strengths of classics are the estimate's own tests; here the wiring is tested, with
strengths set on the rows where a band matters."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.datastructures import MultiDict

from barapp.cocktails import derived
from barapp.cocktails.gallery import PAGE_SIZE, GalleryQuery, encode_cursor, fetch_page
from barapp.cocktails.model import parse_record, to_row
from barapp.shelf import knowledge
from barapp.shelf.knowledge import Allergen
from barapp.store.tables import Cocktail, ShelfItem
from barapp.web.errors import BadCursor, BadFilter
from tests.factories import add_cocktails, cocktail_doc

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


def ingredient(name: str, amount: float | None = 3, unit: str = "cl") -> dict[str, Any]:
    return {"name": name, "amount": amount, "unit": unit if amount is not None else ""}


async def row_of(name: str) -> dict[str, Any]:
    row: dict[str, Any] = (
        await Cocktail.select().where(Cocktail.name == name).first().output(load_json=True)
    )
    return row


async def shelve(*keys: str, out: tuple[str, ...] = ()) -> None:
    for key in (*keys, *out):
        known = knowledge.base().get(key)
        custom = known is None
        await ShelfItem.insert(
            ShelfItem(
                key=key,
                name_en=known.en if known else key.removeprefix("custom-"),
                name_fr=known.fr if known else key.removeprefix("custom-"),
                category=str(known.category) if known else "other",
                in_stock=key not in out,
                custom=custom,
            )
        )


# --- Derived values -------------------------------------------------------------------------


def test_to_row_derives_keys_allergens_and_names_unknown_strengths() -> None:
    record = parse_record(
        cocktail_doc(
            "Sour",
            ingredients=[
                ingredient("Gin", 5),
                ingredient("Egg white", 2),
                ingredient("House syrup", 2),
                ingredient("Ice", None),
                ingredient("Water", 1),
            ],
            garnish="",
        )
    )
    row = to_row(record)
    assert row["ingredient_keys"] == sorted(
        {knowledge.key_of("Gin"), knowledge.key_of("Egg white"), "custom-house syrup"}
    )
    assert "ice" not in row["ingredient_keys"] and "water" not in row["ingredient_keys"]
    assert derived.allergens_in(row["allergen_mask"]) == [Allergen.EGG]
    assert row["strength_unknown"] == ["House syrup"]
    assert row["abv"] is not None and 0 < row["abv"] < 40
    assert row["abv_key"] == row["abv"]
    assert row["derived_version"] == derived.version()
    # The document gains nothing: derived values are not exported.
    assert "abv" not in record.__struct_fields__


def test_an_alcohol_free_drink_is_zero_percent_and_unknown_strength_is_null() -> None:
    virgin = to_row(
        parse_record(
            cocktail_doc(
                "Cooler",
                alcoholic=False,
                ingredients=[ingredient("Lime juice", 2), ingredient("House syrup", 2)],
            )
        )
    )
    assert (virgin["abv"], virgin["alcohol_g"], virgin["strength_unknown"]) == (0.0, 0.0, [])
    unknown = to_row(
        parse_record(
            cocktail_doc("Mystery", ingredients=[ingredient("Mystery spirit", 4)], garnish="")
        )
    )
    assert unknown["abv"] is None and unknown["abv_key"] == derived.UNKNOWN_SORT
    assert unknown["strength_unknown"] == ["Mystery spirit"]


def test_the_garnish_counts_for_allergens() -> None:
    base = [ingredient("Gin", 4), ingredient("Lime juice", 2)]
    plain = to_row(parse_record(cocktail_doc("A", ingredients=base, garnish="")))
    egg = to_row(parse_record(cocktail_doc("B", ingredients=base, garnish="egg white")))
    assert egg["allergen_mask"] & derived.ALLERGEN_BITS[Allergen.EGG]
    assert not plain["allergen_mask"] & derived.ALLERGEN_BITS[Allergen.EGG]


async def test_import_writes_what_to_row_derives(database: Any) -> None:
    doc = cocktail_doc("Imported", ingredients=[ingredient("Gin", 4), ingredient("Egg white", 2)])
    await add_cocktails(doc)
    row = await row_of("Imported")
    expected = to_row(parse_record(doc))
    assert {c: row[c] for c in derived.DERIVED_COLUMNS} == {
        c: expected[c] for c in derived.DERIVED_COLUMNS
    }
    # A second import of the same drink, changed, derives again.
    await add_cocktails({**doc, "ingredients": [ingredient("Gin", 4)]})
    row = await row_of("Imported")
    assert row["allergen_mask"] == 0 and row["ingredient_keys"] == [knowledge.key_of("Gin")]


async def test_rederive_brings_rows_of_another_version_in_step(database: Any) -> None:
    await add_cocktails(
        *(cocktail_doc(f"Drink {i}", ingredients=[ingredient("Egg white", 2)]) for i in range(7))
    )
    # As an older barapp (or the migration) left them.
    await Cocktail.update(
        {Cocktail.derived_version: "", Cocktail.allergen_mask: 0, Cocktail.ingredient_keys: []},
        force=True,
    )
    assert await derived.rederive(batch=3) == 7
    for i in range(7):
        row = await row_of(f"Drink {i}")
        assert row["derived_version"] == derived.version()
        assert derived.allergens_in(row["allergen_mask"]) == [Allergen.EGG]
        assert row["ingredient_keys"] == [knowledge.key_of("Egg white")]
    assert await derived.rederive() == 0


# --- The query ------------------------------------------------------------------------------


def test_new_filters_are_validated_and_canonical() -> None:
    query = GalleryQuery.from_params(
        MultiDict(
            [
                ("without", "nuts"),
                ("without", "egg"),
                ("without", "egg"),
                ("makeable", "1"),
                ("strength", "light"),
                ("sort", "strength"),
            ]
        )
    )
    assert query.without == (Allergen.EGG, Allergen.NUTS)
    assert query.is_filtered
    assert query.url() == (
        "/cocktails?strength=light&makeable=1&without=egg&without=nuts&sort=strength"
    )
    assert GalleryQuery.from_params(MultiDict([("without", ""), ("strength", "")])).without == ()
    for bad in (
        [("makeable", "yes")],
        [("strength", "tipsy")],
        [("without", "shellfish")],
        [("sort", "weakest")],
    ):
        with pytest.raises(BadFilter):
            GalleryQuery.from_params(MultiDict(bad))


@pytest.mark.parametrize(
    "url",
    ["/cocktails?strength=tipsy", "/cocktails?without=shellfish", "/cocktails?makeable=2"],
)
async def test_a_bad_shelf_filter_is_a_400_page_in_french_too(client: Any, url: str) -> None:
    english = await client.get(url, headers={"accept-language": "en"})
    french = await client.get(url, headers={"accept-language": "fr"})
    assert english.status_code == french.status_code == 400
    assert french.text != english.text and 'lang="fr"' in french.text


@pytest.fixture
async def bar(database: Any) -> None:
    """Five drinks; gin and Campari in stock, sweet vermouth off the shelf, the bar's own
    house syrup in stock."""
    await add_cocktails(
        cocktail_doc(
            "Gin Campari",
            created_at=at(1),
            ingredients=[ingredient("Gin"), ingredient("Campari"), ingredient("Ice", None)],
            garnish="",
        ),
        cocktail_doc(
            "Negroni",
            created_at=at(2),
            ingredients=[ingredient("Gin"), ingredient("Campari"), ingredient("Sweet vermouth")],
            garnish="",
        ),
        cocktail_doc(
            "House Gin",
            created_at=at(3),
            ingredients=[ingredient("Gin"), ingredient("House syrup", 2)],
            garnish="",
        ),
        cocktail_doc(
            "Egg Sour",
            created_at=at(4),
            ingredients=[ingredient("Gin"), ingredient("Egg white", 2)],
            garnish="",
        ),
        cocktail_doc(
            "Chartreuse Swizzle",
            created_at=at(5),
            ingredients=[ingredient("Chartreuse verte"), ingredient("Gin")],
            garnish="",
        ),
    )
    await shelve(
        knowledge.key_of("Gin"),
        knowledge.key_of("Campari"),
        knowledge.key_of("House syrup"),
        out=(knowledge.key_of("Sweet vermouth"),),
    )
    # Bands set on the rows: the wiring is tested, not the estimate.
    for name, abv in [("Gin Campari", 25.0), ("Negroni", 15.0), ("House Gin", 8.0)]:
        await Cocktail.update({Cocktail.abv: abv, Cocktail.abv_key: abv}).where(
            Cocktail.name == name
        )
    await Cocktail.update({Cocktail.abv: None, Cocktail.abv_key: -1.0}).where(
        Cocktail.name == "Chartreuse Swizzle"
    )
    await Cocktail.update({Cocktail.abv: 20.0, Cocktail.abv_key: 20.0}).where(
        Cocktail.name == "Egg Sour"
    )


async def names(query: str, stocked: frozenset[str] = frozenset()) -> list[str]:
    page = await fetch_page(GalleryQuery.from_params(MultiDict(_pairs(query))), stocked)
    return [card["name"] for card in page.cards]


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(p.split("=", 1)) for p in query.split("&") if p]  # type: ignore[misc]


async def test_makeable_now_compares_keys_with_the_stock(bar: None) -> None:
    stocked = frozenset(
        {knowledge.key_of("Gin"), knowledge.key_of("Campari"), knowledge.key_of("House syrup")}
    )
    assert await names("makeable=1", stocked) == ["House Gin", "Gin Campari"]
    # Another stock, the same rows: nothing to derive again when a bottle is toggled.
    assert await names("makeable=1", frozenset({knowledge.key_of("Gin")})) == []
    everything = stocked | {
        knowledge.key_of("Sweet vermouth"),
        knowledge.key_of("Egg white"),
        knowledge.key_of("Chartreuse verte"),
    }
    assert len(await names("makeable=1", everything)) == 5


async def test_strength_bands_and_allergen_exclusion(bar: None) -> None:
    assert await names("strength=light") == ["House Gin"]
    assert await names("strength=medium") == ["Egg Sour", "Negroni"]
    assert await names("strength=strong") == ["Gin Campari"]
    assert "Egg Sour" not in await names("without=egg")
    assert len(await names("without=egg")) == 4
    # Sweet vermouth has sulphites: two exclusions together.
    assert sorted(await names("without=egg&without=sulphites")) == sorted(
        ["Gin Campari", "House Gin", "Chartreuse Swizzle"]
    )


async def test_strength_sort_is_strongest_first_unknown_last(bar: None) -> None:
    assert await names("sort=strength") == [
        "Gin Campari",
        "Egg Sour",
        "Negroni",
        "House Gin",
        "Chartreuse Swizzle",
    ]


async def test_strength_sort_pages_through_every_drink_once(database: Any) -> None:
    count = PAGE_SIZE * 2 + 5
    await add_cocktails(
        *(cocktail_doc(f"D{i:03}", created_at=at(i), garnish="") for i in range(count))
    )
    rows = await Cocktail.select(Cocktail.id, Cocktail.name)
    for i, row in enumerate(sorted(rows, key=lambda r: r["name"])):
        # Ties (several drinks at one strength) and unknowns, whose order the id settles.
        abv = None if i % 7 == 0 else float(i % 5) * 4.7
        await Cocktail.update(
            {Cocktail.abv: abv, Cocktail.abv_key: abv if abv is not None else -1.0}
        ).where(Cocktail.id == row["id"])
    seen: list[dict[str, Any]] = []
    query = GalleryQuery.from_params({"sort": "strength"})
    while True:
        page = await fetch_page(query)
        seen += page.cards
        if not page.next_after:
            break
        query = GalleryQuery.from_params({"sort": "strength", "after": page.next_after})
    assert len(seen) == count and len({c["id"] for c in seen}) == count
    keys = [(c["abv_key"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)
    assert all(c["abv"] is None for c in seen[-len([c for c in seen if c["abv"] is None]) :])


def test_a_strength_cursor_round_trips_and_refuses_nonsense() -> None:
    ident = uuid.uuid4()
    after = encode_cursor("strength", {"abv_key": 17.299999237060547, "id": ident})
    assert GalleryQuery(sort="strength", after=after).cursor() == (17.299999237060547, ident)
    for key in ("nan", "inf", "strong"):
        raw = base64.urlsafe_b64encode(json.dumps(["strength", key, str(ident)]).encode())
        with pytest.raises(BadCursor):
            GalleryQuery(sort="strength", after=raw.decode()).cursor()


# --- Pages ----------------------------------------------------------------------------------


async def test_the_gallery_offers_the_new_filters_to_guests(bar: None, guest: Any) -> None:
    html = (await guest.get("/cocktails")).text
    assert 'name="makeable"' in html and 'name="strength"' in html
    assert 'name="without" value="egg"' in html and "no egg" in html
    assert 'value="strength"' in html  # the sort
    # Guests never see what is missing.
    assert "missing:" not in html


async def test_makeable_over_http_and_htmx_pushes_the_canonical_url(bar: None, guest: Any) -> None:
    response = await guest.get(
        "/cocktails?without=nuts&makeable=1&without=egg", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/cocktails?makeable=1&without=egg&without=nuts"
    assert names_in(response.text) == ["House Gin", "Gin Campari"]
    assert "<form" not in response.text  # only the results


async def test_a_recipes_generic_rum_is_poured_with_the_bars_aged_rum(
    database: Any, bartender: Any
) -> None:
    await add_cocktails(
        cocktail_doc("Generic Daiquiri", ingredients=[ingredient("Rum"), ingredient("Lime juice")]),
        cocktail_doc("Aged Old Cuban", ingredients=[ingredient("Aged rum"), ingredient("Mint")]),
    )
    await shelve("lime_juice", "mint", out=("aged_rum",))
    assert names_in((await bartender.get("/cocktails?makeable=1")).text) == []
    await ShelfItem.update({ShelfItem.in_stock: True}).where(ShelfItem.key == "aged_rum")
    html = (await bartender.get("/cocktails?makeable=1")).text
    assert sorted(names_in(html)) == ["Aged Old Cuban", "Generic Daiquiri"]
    assert "missing:" not in html
    # Not the reverse: a bar with only "rum" does not pour a recipe's aged rum.
    await ShelfItem.delete().where(ShelfItem.key == "aged_rum")
    await shelve("rum")
    html = (await bartender.get("/cocktails?makeable=1")).text
    assert names_in(html) == ["Generic Daiquiri"]
    assert knowledge.pours(frozenset({"aged_rum"})) == {"aged_rum", "rum"}


async def test_a_bars_own_bottle_pours_what_its_names_read_as(
    database: Any, bartender: Any
) -> None:
    await add_cocktails(
        cocktail_doc("Monkey Gimlet", ingredients=[ingredient("Monkey 47 Gin")]),
        cocktail_doc("Orgeat Fizz", ingredients=[ingredient("Orgeat maison")]),
    )
    await ShelfItem.insert(
        ShelfItem(key="custom-monkey 47 gin", name_en="Monkey 47 Gin", custom=True),
        ShelfItem(key="custom-house orgeat", name_en="House orgeat", name_fr="Orgeat maison",
                  custom=True),
    )  # fmt: skip
    html = (await bartender.get("/cocktails?makeable=1")).text
    assert sorted(names_in(html)) == ["Monkey Gimlet", "Orgeat Fizz"]


async def test_a_bartender_sees_what_is_missing_once_per_card(bar: None, bartender: Any) -> None:
    html = (await bartender.get("/cocktails")).text
    assert html.count("missing: Sweet vermouth") == 1
    # Not on the shelf at all is missing too; in stock (the bar's own syrup too) is not.
    assert "missing: Chartreuse verte" in html
    assert "missing: Egg white" in html
    assert html.count("missing:") == 3
    negroni = await row_of("Negroni")
    page = (await bartender.get(f"/cocktails/{negroni['id']}")).text
    assert "missing: Sweet vermouth" in page


async def test_no_missing_line_without_a_shelf(database: Any, bartender: Any) -> None:
    await add_cocktails(cocktail_doc("Lonely"))
    assert "missing:" not in (await bartender.get("/cocktails")).text


async def test_one_stock_query_per_page_not_per_card(
    bar: None, bartender: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = ShelfItem.select

    def counted(*columns: Any, **options: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*columns, **options)

    monkeypatch.setattr(ShelfItem, "select", counted)
    html = (await bartender.get("/cocktails")).text
    assert len(names_in(html)) == 5 and calls == 1
    assert html.count("missing:") == 3


async def test_a_bartenders_edit_derives_again(database: Any, bartender: Any) -> None:
    from tests.test_moderation import edit_form

    await add_cocktails(
        cocktail_doc("Negroni", ingredients=[ingredient("Gin"), ingredient("Campari")])
    )
    before = await row_of("Negroni")
    assert not before["allergen_mask"] & derived.ALLERGEN_BITS[Allergen.EGG]
    form = edit_form(**{"ingredients-2-name": "Egg white", "ingredients-2-amount": "2"})
    response = await bartender.post(f"/cocktails/{before['id']}/edit", data=form)
    assert response.status_code == 303, response.text
    after = await row_of("Negroni Sbagliato")
    expected = to_row(parse_record(_document(after)))
    assert {c: after[c] for c in derived.DERIVED_COLUMNS} == {
        c: expected[c] for c in derived.DERIVED_COLUMNS
    }
    assert after["allergen_mask"] & derived.ALLERGEN_BITS[Allergen.EGG]
    assert knowledge.key_of("Egg white") in after["ingredient_keys"]


def _document(row: dict[str, Any]) -> dict[str, Any]:
    """The recipe of a row, as a document parse_record takes."""
    from barapp.cocktails.model import from_row

    document = from_row(row)
    return {k: v for k, v in document.items() if k not in ("id", "slug", "created_at")}


def test_barapp_migrate_derives_rows_another_barapp_left(tmp_path: Any) -> None:
    """After an upgrade (another knowledge base), `barapp migrate` derives the rows again."""
    import sqlite3

    from tests.serving import HOUSE_MENU, bar_env, barapp

    env = bar_env(tmp_path)
    barapp(env, "import", str(HOUSE_MENU))
    path = tmp_path / "bar.sqlite3"
    with sqlite3.connect(path) as conn:
        fresh = conn.execute("SELECT slug, allergen_mask, ingredient_keys FROM cocktail").fetchall()
        conn.execute("UPDATE cocktail SET derived_version = 'old', allergen_mask = 0")
    barapp(env, "migrate")
    conn = sqlite3.connect(path)
    try:
        again = conn.execute("SELECT slug, allergen_mask, ingredient_keys FROM cocktail").fetchall()
        versions = {v for (v,) in conn.execute("SELECT derived_version FROM cocktail")}
    finally:
        conn.close()
    assert versions == {derived.version()}
    assert sorted(again) == sorted(fresh)
    assert any(mask for _, mask, _ in again)  # the Negroni's vermouth: not all zero


# --- In a browser (last: sync Playwright's loop stays up for the module's async tests) -----------------------------------------------------------------------------

PASSWORD = "correct horse battery"


@pytest.mark.browser
def test_gallery_filters_and_facts_fit_a_tablet_and_a_phone(
    browser: Any, tmp_path: Any, artifacts: Any, console_errors: list[str]
) -> None:
    """The house menu with a shelf (vermouth off it): the gallery's new filters, a card's
    strength, allergens and missing line, and the cocktail page, for a bartender, on a tablet
    and a phone: no sideways scroll, axe-core clean."""
    import sqlite3

    from tests.browsing import (
        PHONE,
        TABLET,
        assert_accessible,
        horizontal_overflow,
        log_in,
        open_page,
        wait_until,
    )
    from tests.serving import bar_env, serve, stocked_bar

    env = bar_env(tmp_path)
    stocked_bar(env, PASSWORD)
    conn = sqlite3.connect(tmp_path / "bar.sqlite3")
    with conn:
        conn.executemany(
            "INSERT INTO shelf_item (id, key, name_en, name_fr, in_stock) VALUES (?, ?, ?, ?, ?)",
            [
                (str(uuid.uuid4()), key, key, key, key != "sweet_vermouth")
                for key in (
                    "gin",
                    "campari",
                    "sweet_vermouth",
                    "basil",
                    "lemon_juice",
                    "simple_syrup",
                )
            ],
        )
    conn.close()
    with serve(env) as url:
        for size, viewport in (("tablet", TABLET), ("phone", PHONE)):
            page = open_page(browser, console_errors, viewport=viewport)
            log_in(page, url, PASSWORD)
            page.goto(f"{url}/cocktails")
            card = page.locator(".card", has_text="Negroni").first
            assert "missing: Sweet vermouth" in card.inner_text()
            assert "sulphites" in card.inner_text() and "≈" in card.inner_text()
            assert horizontal_overflow(page) == 0, size
            assert_accessible(page, f"the gallery with the shelf's filters ({size})")
            page.screenshot(path=str(artifacts / f"gallery-shelf-{size}.png"), full_page=True)
            # htmx: ticking "no sulphites" swaps the results and the address says so.
            page.locator(".filter-allergens-box summary").click()
            page.locator("input[name=without][value=sulphites]").check()
            wait_until(page, "location.search.includes('without=sulphites')")
            wait_until(page, "!document.body.innerText.includes('Negroni')")
            assert page.locator(".card").count() >= 1
            page.locator("input[name=makeable]").check()
            wait_until(page, "location.search.includes('makeable=1')")
            wait_until(page, "document.querySelectorAll('#results .card').length === 1")
            assert "Gin Basil Smash" in page.locator("#results").inner_text()
            assert horizontal_overflow(page) == 0, size
            page.screenshot(path=str(artifacts / f"gallery-shelf-filtered-{size}.png"))
            page.goto(f"{url}/cocktails/negroni")
            facts = page.locator(".drink-facts").inner_text()
            assert "standard drink" in facts and "g of alcohol" in facts
            assert "missing: Sweet vermouth" in facts
            assert horizontal_overflow(page) == 0, size
            assert_accessible(page, f"a cocktail page with its strength and allergens ({size})")
            page.screenshot(path=str(artifacts / f"cocktail-facts-{size}.png"), full_page=True)
            page.close()
    assert console_errors == []
