"""The bar's shelf modes and the wish form's allergen boxes, from the POST to the saved drink,
against the fake Ollama (whose grammar forces its drinks into the schema barapp sends) through
the real `ollama.AsyncClient`: strict mode pours only what is on the shelf, prefer mode asks
for it in the prompt, free mode is as it always was."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.shelf.knowledge import ALWAYS_THERE, base, key_of
from barapp.store.tables import Cocktail, Generation, ShelfItem
from barapp.wishes import prompt
from tests.conftest import app_client
from tests.fake_ollama import FakeOllama, Scenario, cocktail_document
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
