"""The bar's shelf modes and the wish form's allergen boxes, from the POST to the saved drink,
against the fake Ollama (whose grammar forces its drinks into the schema barapp sends) through
the real `ollama.AsyncClient`: strict mode pours only what is on the shelf, prefer mode asks
for it in the prompt, free mode is as it always was."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.shelf.knowledge import ALWAYS_THERE, base, key_of
from barapp.store.tables import Cocktail, Generation, ShelfItem
from barapp.wishes import prompt
from tests.browsing import SIZES, assert_accessible, horizontal_overflow, open_page
from tests.conftest import app_client
from tests.fake_ollama import FakeOllama, Scenario, cocktail_document
from tests.serving import bar_env, serve
from tests.test_generation import finished, wish

SHELF = (
    "gin", "vodka", "white_rum", "tequila", "campari", "sweet_vermouth", "triple_sec",
    "lime_juice", "lemon_juice", "simple_syrup", "angostura", "egg_white", "soda_water", "mint",
    "orange",
)  # fmt: skip
OUT_OF_STOCK = "bourbon"
WISHES = (
    "something fresh with gin and basil for a summer evening",
    "a bourbon sour with egg white",
    "un cocktail au rhum et à la menthe",
    "crème de violette and elderflower, please",
    "a smoky mezcal drink",
    "a long tall vodka highball with grapefruit",
    "a cognac nightcap with cherry",
    "a virgin mocktail with honey and ginger",
    "surprise me",
    "a tequila drink with passion fruit and rosemary",
)
FREE = (prompt.SCHEMA, prompt.COCKTAIL_SCHEMA)
"""Today's schemas (a wish that reads as a drink is offered no off-topic branch)."""


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


async def stock(keys: tuple[str, ...] = SHELF, out: tuple[str, ...] = (OUT_OF_STOCK,)) -> None:
    known = base()
    rows = [
        ShelfItem(
            key=key,
            name_en=known[key].en,
            name_fr=known[key].fr,
            category=known[key].category.value,
            abv=known[key].abv,
            allergens=sorted(known[key].allergens),
            in_stock=key not in out,
        )
        for key in (*keys, *out)
    ]
    await ShelfItem.insert(*rows)


def app_of(database: Settings, fake: FakeOllama, mode: str) -> Any:
    return create_app(dataclasses.replace(database, ollama_host=fake.host, shelf_mode=mode))


@pytest.fixture
async def wishing(
    request: pytest.FixtureRequest, database: Settings, fake: FakeOllama
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = app_of(database, fake, request.param)
    async with app_client(app, base_url="http://t") as client:
        yield app, client
    await app.state.jobs.shutdown()


def system_prompt(fake: FakeOllama) -> str:
    return str(fake.last_chat.body["messages"][0]["content"])


def enum_of(schema: dict[str, Any]) -> list[str]:
    cocktail = schema["anyOf"][0] if "anyOf" in schema else schema
    return list(cocktail["properties"]["ingredients"]["items"]["properties"]["name"]["enum"])


async def wish_with(http: httpx.AsyncClient, text: str, **boxes: str) -> str:
    response = await http.post(
        "/generate",
        data={"wish": text, "model": "llama3.1:8b", **boxes},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("wishing", ["strict"], indirect=True)
async def test_strict_mode_ten_wishes_give_ten_drinks_made_of_the_shelf(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    await stock()
    for text in WISHES:
        await wish(http, text)
        await finished(app)
    drinks = await Cocktail.select(Cocktail.ingredients, Cocktail.garnish).output(load_json=True)
    assert len(drinks) == 10
    allowed = set(SHELF) | ALWAYS_THERE
    for drink in drinks:
        keys = {key_of(i["name"]) for i in drink["ingredients"]}
        assert keys <= allowed, drink["ingredients"]
        assert drink["garnish"] in ("mint", "orange", "")
    # The fake's drinks name basil, mezcal, bourbon, violette...: the grammar alone kept them out.
    assert all(OUT_OF_STOCK not in str(d).lower() for d in drinks)
    # The enum, in the page's language, and the bartender's shelf names in the prompt too.
    names = enum_of(fake.last_chat.body["format"])
    assert names == [*(base()[k].en for k in sorted(SHELF)), "ice", "water"]  # the shelf's order
    assert "bourbon" not in names and "; ".join(names) in system_prompt(fake)
    statuses = await Generation.select(Generation.status, Generation.reason)
    assert statuses == [{"status": "done", "reason": ""}] * 10


@pytest.mark.parametrize("wishing", ["strict", "free"], indirect=True)
async def test_an_egg_white_written_in_a_step_is_never_served_to_a_guest_who_ticked_no_egg(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    """No grammar constrains the steps: a sour whose shelf-only ingredients are fine but whose
    step says "dry shake with an egg white" is asked again, then the wish fails, kept."""
    app, http = wishing
    await stock()
    sour = cocktail_document("a gin sour")
    sour["ingredients"] = [
        {"name": "Gin", "amount": 5, "unit": "cl", "note": ""},
        {"name": "Lemon juice", "amount": 2.5, "unit": "cl", "note": ""},
        {"name": "Simple syrup", "amount": 1.5, "unit": "cl", "note": ""},
    ]
    sour["steps"] = ["Dry shake with one egg white.", "Shake again with ice and strain."]
    fake.set_scenario(Scenario(content=sour, grammar=True))
    await wish_with(http, "a gin sour", no_egg="on")
    await finished(app)
    assert await Cocktail.count() == 0
    (generation,) = await Generation.select(Generation.status, Generation.reason, Generation.wish)
    assert generation == {"status": "failed", "reason": "invalid_output", "wish": "a gin sour"}
    assert len(fake.chat_requests) == 2  # asked again once
    # Without the box the same drink is saved, and its card says egg.
    await wish_with(http, "a gin sour")
    await finished(app)
    (saved,) = await Cocktail.select(Cocktail.allergen_mask)
    assert saved["allergen_mask"] & 1  # the egg bit (cocktails/derived.ALLERGEN_BITS)


@pytest.mark.parametrize("wishing", ["strict"], indirect=True)
async def test_no_egg_in_strict_mode_never_pours_an_egg_white_sour(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    await stock()
    sour = cocktail_document("a gin sour")
    sour["ingredients"] = [
        {"name": "Gin", "amount": 5, "unit": "cl", "note": ""},
        {"name": "Lemon juice", "amount": 2.5, "unit": "cl", "note": ""},
        {"name": "Simple syrup", "amount": 1.5, "unit": "cl", "note": ""},
        {"name": "Egg white", "amount": 1, "unit": "", "note": "dry shake first"},
    ]
    fake.set_scenario(Scenario(content=sour, grammar=True))
    # The same scripted drink keeps its egg white when the box is not ticked: the test can fail.
    await wish_with(http, "a gin sour with egg white")
    await finished(app)
    assert "egg white" in enum_of(fake.last_chat.body["format"])
    await wish_with(http, "a gin sour with egg white", no_egg="on")
    await finished(app)
    assert "egg white" not in enum_of(fake.last_chat.body["format"])
    assert "The guest cannot have: egg." in system_prompt(fake)
    with_egg, without = await Cocktail.select(Cocktail.ingredients).order_by(Cocktail.created_at)
    assert "egg_white" in {key_of(i["name"]) for i in json.loads(with_egg["ingredients"])}
    keys = [key_of(i["name"]) for i in json.loads(without["ingredients"])]
    assert "egg_white" not in keys and set(keys) <= set(SHELF) | ALWAYS_THERE
    assert keys[:3] == ["gin", "lemon_juice", "simple_syrup"]  # the rest of the sour stays


@pytest.mark.parametrize("wishing", ["strict"], indirect=True)
async def test_strict_mode_with_an_empty_shelf_makes_the_drink_in_free_mode_and_says_so(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    await wish(http)
    await finished(app)
    assert fake.last_chat.body["format"] in FREE
    (row,) = await Generation.select(Generation.status, Generation.reason, Generation.detail)
    assert (row["status"], row["reason"]) == ("done", "shelf_empty")
    assert "strict shelf mode: nothing in stock" in row["detail"]
    # Every item holding the allergen ticked: the same, and the prompt still names it.
    await ShelfItem.insert(ShelfItem(key="cream", name_en="cream", category="dairy",
                                     allergens=["milk"]))  # fmt: skip
    await wish_with(http, "a white russian", no_milk="on")
    await finished(app)
    assert fake.last_chat.body["format"] in FREE
    assert "The guest cannot have: milk." in system_prompt(fake)


@pytest.mark.parametrize("wishing", ["prefer"], indirect=True)
async def test_prefer_mode_lists_the_stock_in_the_prompt_and_leaves_the_schema(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    await stock()
    await wish_with(http, "a gin sour", no_egg="on", no_nuts="on")
    await finished(app)
    assert fake.last_chat.body["format"] in FREE
    system = system_prompt(fake)
    assert system.startswith(prompt.SYSTEM_PROMPT.format(bar_name="barapp")[:200])
    listed = system.split("in stock today: ", 1)[1].split(". Use these", 1)[0].split("; ")
    assert listed == [base()[k].en for k in sorted(SHELF) if k != "egg_white"]  # nor bourbon
    assert "The guest cannot have: egg, nuts." in system
    assert "The garnish is free." in system


@pytest.mark.parametrize("wishing", ["prefer"], indirect=True)
async def test_a_large_shelf_asks_ollama_for_a_context_that_holds_the_prompt(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    from barapp.wishes.llm import DEFAULT_CONTEXT

    app, http = wishing
    await stock()
    await wish_with(http, "a gin sour")
    await finished(app)
    assert "num_ctx" not in fake.last_chat.body["options"]  # 15 bottles: the default holds it
    await ShelfItem.delete(force=True)
    await stock(tuple(list(base())[:300]), out=())  # about 6,000 characters of prompt
    await wish_with(http, "a gin sour")
    await finished(app)
    body = fake.last_chat.body
    prompt_characters = sum(len(m["content"]) for m in body["messages"])
    context = body["options"]["num_ctx"]
    # Room for the whole prompt (at 3 characters a token, fewer than any model's) and the
    # answer, in a multiple of the default: every wish of this bar asks for the same size.
    assert context >= prompt_characters // 3 + body["options"]["num_predict"]
    assert context % DEFAULT_CONTEXT == 0 and context > DEFAULT_CONTEXT


@pytest.mark.parametrize("wishing", ["strict"], indirect=True)
async def test_a_french_page_gets_the_shelf_in_french(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama, database: Settings
) -> None:
    app, _ = wishing
    await stock()
    async with app_client(app, base_url="http://t", lang="fr") as french:
        await wish(french, "un cocktail frais au citron vert")
        await finished(app)
    names = enum_of(fake.last_chat.body["format"])
    assert "jus de citron vert" in names and "glaçons" in names and "eau" in names
    (drink,) = await Cocktail.select(Cocktail.ingredients).output(load_json=True)
    assert {key_of(i["name"]) for i in drink["ingredients"]} <= set(SHELF) | ALWAYS_THERE


@pytest.mark.parametrize("wishing", ["free"], indirect=True)
async def test_free_mode_sends_todays_prompt_and_schema(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    await stock()
    await wish(http)
    await finished(app)
    body = fake.last_chat.body
    assert body["format"] in FREE
    assert body["messages"][0]["content"] == prompt.SYSTEM_PROMPT.format(bar_name="barapp")
    # An allergen box still reaches the model, as words (which a model may disobey).
    await wish_with(http, "a gin fizz", no_egg="on")
    await finished(app)
    assert fake.last_chat.body["format"] in FREE
    assert system_prompt(fake).endswith(prompt.AVOID.format(allergens="egg"))


@pytest.mark.parametrize("wishing", ["free"], indirect=True)
async def test_the_allergen_boxes_are_on_the_form_and_kept_when_it_comes_back(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = wishing
    page = (await http.get("/generate")).text
    for allergen in ("egg", "milk", "nuts", "peanuts", "gluten", "sulphites", "celery", "soy"):
        assert f'name="no_{allergen}" value="on">' in page
    assert "No egg" in page and "🥚" in page
    # Refused (an empty wish), the form comes back with its boxes as ticked.
    refused = await http.post(
        "/generate", data={"wish": " ", "model": "llama3.1:8b", "no_egg": "on", "no_soy": "on"}
    )
    assert refused.status_code == 400
    assert 'name="no_egg" value="on" checked>' in refused.text
    assert 'name="no_soy" value="on" checked>' in refused.text
    assert 'name="no_milk" value="on">' in refused.text
    async with app_client(app, base_url="http://t", lang="fr") as french:
        assert "Sans œuf" in (await french.get("/generate")).text


@pytest.mark.parametrize("wishing", ["free"], indirect=True)
async def test_try_again_and_the_drafts_keep_the_allergen_boxes(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama, database: Settings
) -> None:
    app, http = wishing
    fake.set_scenario("internal_error")
    await wish_with(http, "a gin fizz", no_egg="on", no_nuts="on")
    await finished(app)
    (row,) = await Generation.select(Generation.id, Generation.avoid).output(load_json=True)
    assert row["avoid"] == ["egg", "nuts"]
    page = (await http.get(f"/generations/{row['id']}")).text
    retry = page.split('class="retry"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="no_egg" value="on">' in retry
    assert '<input type="hidden" name="no_nuts" value="on">' in retry
    assert 'name="no_milk"' not in retry
    # A refused (off-topic) wish's link brings the boxes back to the form.
    fake.set_scenario("ok")
    await wish_with(http, "what is the capital of Peru?", no_milk="on")
    await finished(app)
    (refused,) = await Generation.select(Generation.id).where(Generation.status == "refused")
    page = (await http.get(f"/generations/{refused['id']}")).text
    link = re.search(r'href="(/generate\?wish=[^"]*)"', page)
    assert link and "no_milk=on" in link[1]
    form = (await http.get(html.unescape(link[1]))).text
    assert 'name="no_milk" value="on" checked>' in form
    # A stale page's wish waits in the form with its boxes (web/drafts.py).
    async with app_client(app, base_url="http://t", csrf=False) as stale:
        refused_post = await stale.post(
            "/generate", data={"wish": "a sour", "model": "llama3.1:8b", "no_soy": "on"}
        )
        assert refused_post.status_code == 403
        back = (await stale.get("/generate")).text
        assert ">a sour</textarea>" in back and 'name="no_soy" value="on" checked>' in back
        assert 'name="no_soy" value="on" checked>' not in (await stale.get("/generate")).text


@pytest.mark.parametrize("wishing", ["prefer"], indirect=True)
async def test_a_bartender_sees_whats_missing_on_the_live_result_too(
    wishing: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    from barapp.staff import accounts
    from tests.conftest import PASSWORD, log_in
    from tests.test_generation import events_of

    app, guest = wishing
    await stock(("gin", "lime_juice"), out=())
    drink = cocktail_document()
    drink["ingredients"] = [
        {"name": "Gin", "amount": 5, "unit": "cl", "note": ""},
        {"name": "Green Chartreuse", "amount": 2, "unit": "cl", "note": ""},
    ]
    fake.set_scenario(Scenario(content=drink, grammar=True))
    gen_id = await wish(guest, "a gin drink")
    await finished(app)
    await accounts.add("marie", PASSWORD)
    async with app_client(app, base_url="http://t") as bartender:
        assert (await log_in(bartender)).status_code == 303
        (result,) = [e for e in await events_of(bartender, gen_id) if e["event"] == "result"]
        assert "missing: Green Chartreuse" in result["data"]
    (guests,) = [e for e in await events_of(guest, gen_id) if e["event"] == "result"]
    assert "missing:" not in guests["data"]


@pytest.mark.browser
@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_the_allergen_boxes_fit_a_tablet_and_a_phone_in_french(
    browser: Any, artifacts: Path, console_errors: list[str], tmp_path: Path, size: str
) -> None:
    with FakeOllama("ok", models=["llama3.1:8b"]) as ollama:
        env = bar_env(tmp_path, OLLAMA_HOST=ollama.host, DEFAULT_LANGUAGE="fr")
        with serve(env) as url:
            page = open_page(browser, console_errors, locale="fr-FR", viewport=SIZES[size])
            page.goto(f"{url}/generate")
            boxes = page.locator(".allergen-box")
            assert boxes.count() == 8
            page.get_by_label("Sans œuf").check()  # the label is the box's name
            page.get_by_text("Sans fruits à coque").click()  # a tap on the words ticks it
            assert page.is_checked("input[name=no_egg]") and page.is_checked("input[name=no_nuts]")
            assert not page.is_checked("input[name=no_milk]")
            heights = [boxes.nth(i).bounding_box()["height"] for i in range(8)]
            assert min(heights) >= 44  # a finger's target
            assert horizontal_overflow(page) == 0
            assert_accessible(page, f"the wish form with allergen boxes ({size})")
            page.screenshot(path=str(artifacts / f"wish-allergens-{size}.png"), full_page=True)
            page.close()
    assert console_errors == []


def test_the_strict_schema_is_todays_with_two_leaves_replaced() -> None:
    from barapp.shelf.stock import Item
    from barapp.wishes import shelf_schema
    from barapp.wishes.topic import Shape

    known = base()
    items = [
        Item(k, known[k].en, known[k].fr, known[k].category, known[k].abv, known[k].allergens,
             True, False)
        for k in ("gin", "mint", "orgeat", "orange", "ice")
    ]  # fmt: skip
    shelf = shelf_schema.offer("strict", items, "fr", shelf_schema.allergens_of(["nuts", "x"]))
    assert shelf.avoid == ("nuts",)
    assert shelf.ingredients == ("gin", "menthe", "orange", "glaçons", "eau")  # no orgeat
    assert shelf.garnishes == ("menthe", "orange", "")
    strict = shelf_schema.schemas(shelf)
    either = json.loads(json.dumps(strict[Shape.EITHER]))
    cocktail = either["anyOf"][0]["properties"]
    assert cocktail["garnish"] == {"type": "string", "enum": ["menthe", "orange", ""]}
    name = cocktail["ingredients"]["items"]["properties"]["name"]
    assert name == {"type": "string", "enum": list(shelf.ingredients)}  # no maxLength left
    # Everything else is prompt.SCHEMA's, which the copy left untouched.
    today = json.loads(json.dumps(prompt.SCHEMA))
    today["anyOf"][0]["properties"]["garnish"] = cocktail["garnish"]
    today["anyOf"][0]["properties"]["ingredients"]["items"]["properties"]["name"] = name
    assert either == today
    assert strict[Shape.COCKTAIL] is strict[Shape.EITHER]["anyOf"][0]
    assert prompt.COCKTAIL_SCHEMA["properties"]["garnish"] == {"type": "string", "maxLength": 80}
    assert shelf_schema.schemas(shelf_schema.offer("prefer", items, "en"))[Shape.EITHER] is (
        prompt.SCHEMA
    )
