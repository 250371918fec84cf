"""The bartender's shelf page (/bar/shelf): seeding once from the saved drinks, one-tap
stock switches, adding by search, a custom item, a pasted list; guests and forged forms
refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import httpx

from barapp.shelf import seed, stock
from barapp.shelf.knowledge import Category, base, match
from barapp.store.tables import BarSetting, ShelfItem
from tests.conftest import app_client
from tests.factories import add_cocktails, cocktail_doc

HX = {"HX-Request": "true"}


def ingredients(*names: str) -> list[dict[str, Any]]:
    return [{"name": name, "amount": 3, "unit": "cl"} for name in names]


def row_of(html: str, key: str) -> str:
    found = re.search(
        rf'<li class="shelf-item[^"]*" id="item-{re.escape(key)}">.*?</li>', html, re.S
    )
    assert found, f"no row for {key}"
    return found.group(0)


async def keys_in_stock() -> dict[str, bool]:
    return {item.key: item.in_stock for item in await stock.items()}


# Seeding ----------------------------------------------------------------------------------


async def test_the_first_visit_seeds_the_shelf_from_three_saved_cocktails_once(
    bartender: httpx.AsyncClient,
) -> None:
    await add_cocktails(
        cocktail_doc("Negroni", ingredients=ingredients("Gin", "Campari", "Sweet vermouth")),
        cocktail_doc("Daiquiri", ingredients=ingredients("White rum", "Fresh lime juice", "Ice")),
        cocktail_doc("Odd", ingredients=ingredients("gin", "Unicorn tears", "Water")),
    )
    expected = {
        known.key
        for name in ("Gin", "Campari", "Sweet vermouth", "White rum", "Fresh lime juice")
        if (known := match(name))
    }
    assert len(expected) >= 4  # the base knows most of them
    response = await bartender.get("/bar/shelf")
    assert response.status_code == 200
    on_shelf = await keys_in_stock()
    assert set(on_shelf) == expected
    assert all(on_shelf.values())
    assert "ice" not in on_shelf and "water" not in on_shelf
    # The unknown name is named on the page, not added.
    assert "Unicorn tears" in response.text
    assert not any(item.custom for item in await stock.items())

    # Emptied by the bartender, it stays empty: the marker says it was seeded.
    for key in on_shelf:
        await bartender.post("/bar/shelf/remove", data={"key": key})
    assert await keys_in_stock() == {}
    again = await bartender.get("/bar/shelf")
    assert again.status_code == 200
    assert await keys_in_stock() == {}
    assert "The shelf is empty" in again.text
    assert await BarSetting.count().where(BarSetting.key == seed.MARKER) == 1


async def test_seeding_an_empty_bar_marks_it_and_a_second_call_does_nothing(app: Any) -> None:
    first = await seed.seed_once()
    assert first is not None and first.added == [] and first.unknown == []
    await add_cocktails(cocktail_doc("Negroni"))
    assert await seed.seed_once() is None
    assert await stock.items() == []


async def test_seeding_keeps_an_item_already_there_as_it_was(app: Any) -> None:
    await add_cocktails(cocktail_doc("Negroni"))  # gin and Campari
    gin = match("gin")
    assert gin is not None
    await stock.put_known({gin.key: False})
    seeding = await seed.seed_once()
    assert seeding is not None and gin.key not in seeding.added
    assert (await keys_in_stock())[gin.key] is False


# The switch and removal -------------------------------------------------------------------


async def test_one_tap_puts_an_item_out_of_stock_and_back(bartender: httpx.AsyncClient) -> None:
    await bartender.get("/bar/shelf")  # seeded (nothing saved): empty
    gin = match("gin")
    assert gin is not None
    await stock.put_known({gin.key: True})

    answer = await bartender.post(
        "/bar/shelf/stock", data={"key": gin.key, "in_stock": "0"}, headers=HX
    )
    assert answer.status_code == 200
    row = row_of(answer.text, gin.key)
    assert "shelf-item-out" in row and 'aria-checked="false"' in row
    assert 'hx-swap-oob="true"' in answer.text and "0 in stock" in answer.text
    assert (await keys_in_stock())[gin.key] is False
    # The same tap sent twice changes nothing more.
    await bartender.post("/bar/shelf/stock", data={"key": gin.key, "in_stock": "0"}, headers=HX)
    assert (await keys_in_stock())[gin.key] is False
    # Out of stock, still listed, dimmed.
    page = (await bartender.get("/bar/shelf")).text
    assert "shelf-item-out" in row_of(page, gin.key)

    # Without JavaScript: a form POST and a redirect back to the row.
    plain = await bartender.post("/bar/shelf/stock", data={"key": gin.key, "in_stock": "1"})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/bar/shelf#item-{gin.key}"
    assert (await keys_in_stock())[gin.key] is True
    assert 'aria-checked="true"' in row_of((await bartender.get("/bar/shelf")).text, gin.key)


async def test_remove_takes_an_item_off_the_shelf(bartender: httpx.AsyncClient) -> None:
    await bartender.get("/bar/shelf")
    gin, rum = match("gin"), match("white rum")
    assert gin and rum
    await stock.put_known({gin.key: True, rum.key: True})
    answer = await bartender.post("/bar/shelf/remove", data={"key": gin.key}, headers=HX)
    assert answer.status_code == 200
    assert f'id="item-{gin.key}"' not in answer.text
    assert f'id="item-{rum.key}"' in answer.text
    assert set(await keys_in_stock()) == {rum.key}


# Adding by search -------------------------------------------------------------------------


async def test_search_lists_what_is_not_on_the_shelf_and_add_puts_it_there(
    bartender: httpx.AsyncClient,
) -> None:
    await bartender.get("/bar/shelf")
    campari = match("campari")
    assert campari is not None
    results = await bartender.get("/bar/shelf/search", params={"q": "camp"}, headers=HX)
    assert results.status_code == 200
    assert "<html" not in results.text  # a fragment
    assert f'name="key" value="{campari.key}"' in results.text

    added = await bartender.post(
        "/bar/shelf/add", data={"key": campari.key, "q": "camp"}, headers=HX
    )
    assert added.status_code == 200
    assert f'id="item-{campari.key}"' in added.text
    # The results, out of band, no longer offer it.
    oob = added.text.split('id="shelf-results"', 1)[1]
    assert f'value="{campari.key}"' not in oob
    assert (await keys_in_stock()) == {campari.key: True}
    again = await bartender.get("/bar/shelf/search", params={"q": "camp"}, headers=HX)
    assert f'name="key" value="{campari.key}"' not in again.text

    # Without JavaScript: the search is a GET of the page, the addition a POST and a 303.
    page = await bartender.get("/bar/shelf", params={"q": "gin"})
    gin = match("gin")
    assert gin is not None
    assert f'name="key" value="{gin.key}"' in page.text
    plain = await bartender.post("/bar/shelf/add", data={"key": gin.key, "q": "gin"})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/bar/shelf?q=gin#item-{gin.key}"
    assert (await keys_in_stock())[gin.key] is True
    not_htmx = await bartender.get("/bar/shelf/search", params={"q": "gin"})
    assert not_htmx.status_code == 303 and not_htmx.headers["location"] == "/bar/shelf?q=gin"


async def test_adding_an_item_the_base_does_not_know_adds_nothing(
    bartender: httpx.AsyncClient,
) -> None:
    await bartender.get("/bar/shelf")
    for key in ("no-such-thing", "water", "ice", ""):
        response = await bartender.post("/bar/shelf/add", data={"key": key})
        assert response.status_code == 303
    assert await stock.items() == []


async def test_adding_an_item_out_of_stock_puts_it_back(bartender: httpx.AsyncClient) -> None:
    await bartender.get("/bar/shelf")
    gin = match("gin")
    assert gin is not None
    await stock.put_known({gin.key: False})
    await bartender.post("/bar/shelf/add", data={"key": gin.key})
    assert await keys_in_stock() == {gin.key: True}


# A custom item ----------------------------------------------------------------------------


async def test_a_custom_item_is_added_with_the_key_a_recipe_would_give_it(
    bartender: httpx.AsyncClient,
) -> None:
    from barapp.shelf.knowledge import key_of

    await bartender.get("/bar/shelf")
    response = await bartender.post(
        "/bar/shelf/custom",
        data={
            "name": "  Sirop  Maison de Marie ",
            "category": "syrup",
            "abv": "",
            "allergen_nuts": "on",
        },
    )
    assert response.status_code == 303
    key = key_of("sirop maison de marie")
    assert key.startswith("custom-")
    item = await stock.get(key)
    assert item is not None and item.custom and item.in_stock
    assert item.name_en == "Sirop Maison de Marie"
    assert item.category is Category.SYRUP and item.abv is None
    assert {a.value for a in item.allergens} == {"nuts"}
    page = (await bartender.get(response.headers["location"].split("#")[0])).text
    row = row_of(page, re.sub(r"[^a-z0-9_-]", "-", key))
    assert "Sirop Maison de Marie" in row and "strength unknown" in row and "nuts" in row


async def test_a_refused_custom_item_says_why_in_french_and_keeps_what_was_typed(
    app: Any,
) -> None:
    async with app_client(app, lang="fr") as client:
        from tests.conftest import log_in

        assert (await log_in(client)).status_code == 303
        response = await client.post(
            "/bar/shelf/custom",
            data={
                "name": "Rhum arrangé <b>",
                "category": "spirit",
                "abv": "140",
                "allergen_egg": "on",
            },
        )
        assert response.status_code == 400
        html = response.text
        assert "nombre de 0 à 100" in html
        assert 'value="Rhum arrangé &lt;b&gt;"' in html
        assert 'id="custom-abv" name="abv" value="140"' in html
        assert re.search(r'name="allergen_egg" checked', html)
        assert re.search(r'<option value="spirit" selected>', html)
        for data in (
            {"name": "", "category": "spirit"},
            {"name": "x" * 101, "category": "spirit"},
            {"name": "!!!", "category": "spirit"},
            {"name": "Rum", "category": "nonsense"},
            {"name": "Rum", "category": "spirit", "abv": "strong"},
            {"name": "Rum", "category": "spirit", "abv": "-1"},
            {"name": "Rum", "category": "spirit", "abv": "nan"},
        ):
            refused = await client.post("/bar/shelf/custom", data=data)
            assert refused.status_code == 400, data
            assert 'aria-invalid="true"' in refused.text
    assert await stock.items() == []


async def test_a_custom_strength_may_be_written_the_french_way(
    bartender: httpx.AsyncClient,
) -> None:
    response = await bartender.post(
        "/bar/shelf/custom", data={"name": "Génépi du coin", "category": "liqueur", "abv": "40,5 %"}
    )
    assert response.status_code == 303
    item = (await stock.items())[0]
    assert item.abv == 40.5 and item.key == "custom-genepi du coin"


# A pasted list ----------------------------------------------------------------------------


async def test_a_pasted_list_adds_what_it_knows_and_keeps_the_rest_in_the_box(
    bartender: httpx.AsyncClient,
) -> None:
    await bartender.get("/bar/shelf")
    rum = match("white rum")
    assert rum is not None
    await stock.put_known({rum.key: False})
    response = await bartender.post(
        "/bar/shelf/paste",
        data={
            "paste": "Gin\n- Campari, citron vert\n\nwhite rum; Ice\nUnicorn tears\nDragon <scales>"
        },
    )
    assert response.status_code == 200
    on_shelf = await keys_in_stock()
    wanted = {k.key for n in ("gin", "campari", "citron vert", "white rum") if (k := match(n))}
    assert set(on_shelf) == wanted and all(on_shelf.values())
    html = response.text
    textarea = re.search(r'<textarea id="shelf-paste"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea and textarea.group(1) == "Unicorn tears\nDragon &lt;scales&gt;"
    assert "Not recognised: Unicorn tears, Dragon &lt;scales&gt;" in html
    assert f"Added: {len(wanted) - 1}. Back in stock: 1. Already in stock: 0." in html


async def test_a_pasted_list_of_known_names_empties_the_box(bartender: httpx.AsyncClient) -> None:
    response = await bartender.post("/bar/shelf/paste", data={"paste": "gin, gin, Gin"})
    assert response.status_code == 200
    assert re.search(r'<textarea id="shelf-paste"[^>]*></textarea>', response.text)
    assert "Added: 1." in response.text
    assert len(await stock.items()) == 1


# The page ---------------------------------------------------------------------------------


async def test_the_page_groups_items_by_category_in_the_pages_language(app: Any) -> None:
    from tests.conftest import log_in

    lime, gin = match("lime juice"), match("gin")
    assert lime and gin
    async with app_client(app, lang="fr") as client:
        await log_in(client)
        await client.get("/bar/shelf")
        await stock.put_known({lime.key: True, gin.key: False})
        html = (await client.get("/bar/shelf")).text
    assert "Spiritueux" in html and "Jus" in html
    french = base()[lime.key].fr
    shown = french[:1].upper() + french[1:]  # names start with a capital on the page
    assert shown in html and "alcohol-free" not in html and "sans alcool" in html
    assert html.index("Spiritueux") < html.index(shown)
    assert "Rupture" in row_of(html, gin.key)


async def test_the_bar_page_links_to_the_shelf(bartender: httpx.AsyncClient) -> None:
    assert 'href="/bar/shelf"' in (await bartender.get("/bar")).text


async def test_guests_are_sent_to_the_login_and_refused_the_actions(
    guest: httpx.AsyncClient,
) -> None:
    page = await guest.get("/bar/shelf")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert (
        await guest.get("/bar/shelf/search", params={"q": "gin"}, headers=HX)
    ).status_code == 403
    for path, data in (
        ("/bar/shelf/add", {"key": "gin"}),
        ("/bar/shelf/stock", {"key": "gin", "in_stock": "0"}),
        ("/bar/shelf/remove", {"key": "gin"}),
        ("/bar/shelf/custom", {"name": "x", "category": "spirit"}),
        ("/bar/shelf/paste", {"paste": "gin"}),
    ):
        assert (await guest.post(path, data=data)).status_code == 403, path
        assert (await guest.post(path, data=data, headers=HX)).status_code == 403, path
    assert await ShelfItem.count() == 0
    assert not await seed.is_seeded()


async def test_a_bartenders_form_without_its_csrf_token_is_refused(app: Any) -> None:
    from tests.conftest import log_in

    async with app_client(app, csrf=False) as client:
        from barapp.web import sessions

        token = client.cookies.get(sessions.COOKIE)
        assert token
        secret = app.state.settings.secret_key
        await client.post(
            "/login",
            data={
                "name": "marie",
                "password": "correct horse battery",
                "next": "/bar",
                "csrf_token": sessions.csrf_token(secret, token),
            },
        )
        assert (await client.get("/bar/shelf")).status_code == 200
        gin = match("gin")
        assert gin is not None
        await stock.put_known({gin.key: True})
        for path, data in (
            ("/bar/shelf/add", {"key": "campari"}),
            ("/bar/shelf/stock", {"key": gin.key, "in_stock": "0"}),
            ("/bar/shelf/remove", {"key": gin.key}),
            ("/bar/shelf/paste", {"paste": "campari"}),
        ):
            assert (await client.post(path, data=data)).status_code == 403, path
            assert (await client.post(path, data=data, headers=HX)).status_code == 403, path
    del log_in
    assert await keys_in_stock() == {gin.key: True}


# The settings page's shelf choices ------------------------------------------------------------

SETTINGS = {
    "bar_name": "Chez Marie",
    "unit_system": "cl",
    "guest_wishes_per_hour": "10",
    "ip_wishes_per_hour": "100",
    "wish_seconds": "90",
}


async def test_the_settings_page_saves_the_shelf_mode_and_the_standard_drink(
    app: Any, bartender: httpx.AsyncClient
) -> None:
    form = (await bartender.get("/bar/settings")).text
    for mode in ("free", "prefer", "strict"):
        assert f'name="shelf_mode" value="{mode}"' in form
    assert re.search(r'name="shelf_mode" value="free" checked', form)
    for grams in ("0", "8", "10", "14"):
        assert f'<option value="{grams}"' in form
    saved = await bartender.post(
        "/bar/settings", data={**SETTINGS, "shelf_mode": "strict", "standard_drink_grams": "14"}
    )
    assert saved.status_code == 303
    bar = app.state.bar_settings.current()
    assert (bar.shelf_mode, bar.standard_drink_grams) == ("strict", 14)
    again = (await bartender.get("/bar/settings")).text
    assert re.search(r'name="shelf_mode" value="strict" checked', again)
    assert re.search(r'<option value="14" selected>', again)
    # A form without them (a page from before they existed) leaves them as they are.
    assert (await bartender.post("/bar/settings", data=SETTINGS)).status_code == 303
    bar = app.state.bar_settings.current()
    assert (bar.shelf_mode, bar.standard_drink_grams) == ("strict", 14)


async def test_a_wrong_shelf_choice_is_refused_and_nothing_saved(
    app: Any, bartender: httpx.AsyncClient
) -> None:
    for field, value in (("shelf_mode", "anything"), ("standard_drink_grams", "12")):
        response = await bartender.post("/bar/settings", data={**SETTINGS, field: value})
        assert response.status_code == 400
        assert "Nothing was saved" in response.text and "Choose one of the choices" in response.text
    bar = await app.state.bar_settings.refresh(force=True)
    assert (bar.shelf_mode, bar.standard_drink_grams) == ("free", 0)
    assert bar.bar_name != "Chez Marie"


async def test_a_field_sent_twice_is_refused_and_changes_nothing(
    bartender: httpx.AsyncClient,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path, body in (
        ("/bar/shelf/add", "key=gin&key=campari&q=a&q=b"),
        ("/bar/shelf/stock", "key=gin&key=x&in_stock=0&in_stock=1"),
        ("/bar/shelf/custom", "name=A&name=B&category=syrup&category=spirit&abv=1&abv=2"),
        ("/bar/shelf/paste", "paste=gin&paste=campari"),
    ):
        response = await bartender.post(path, content=body, headers=form)
        assert response.status_code == 400, (path, response.status_code)
    assert await stock.items() == []


async def test_two_first_visits_at_once_seed_once(app: Any) -> None:
    import asyncio

    await add_cocktails(cocktail_doc("Negroni"))
    results = await asyncio.gather(*(seed.seed_once() for _ in range(4)))
    done = [r for r in results if r is not None]
    assert len(done) == 1 and done[0].added
    assert {i.key for i in await stock.items()} == set(done[0].added)
