"""Issue 13's acceptance, as a bartender does it through the pages the README describes: put 15
bottles on the shelf (a pasted list), choose "Only the shelf" in the bar's settings, make ten
wishes against the fake Ollama (through the real `ollama.AsyncClient`), and find every one of
the ten drinks, and only what can be poured, under "Makeable now"."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.cocktails.transfer import import_text
from barapp.settings import Settings
from barapp.shelf.knowledge import ALWAYS_THERE, key_of, match
from barapp.staff import accounts
from barapp.store.tables import Cocktail
from tests.conftest import PASSWORD, app_client, log_in
from tests.fake_ollama import FakeOllama
from tests.test_generation import finished, wish

BOTTLES = """Gin
Vodka
White rum
Tequila
Campari
Sweet vermouth
Triple sec
Lime juice
Lemon juice
Simple syrup
Angostura bitters
Egg white
Soda water
Mint
Orange"""
WISHES = (
    "something fresh with gin and basil for a summer evening",
    "a bourbon sour with egg white",
    "un cocktail au rhum et à la menthe",
    "crème de violette and elderflower, please",
    "a smoky mezcal drink",
    "a long vodka highball with grapefruit",
    "a cognac nightcap with cherry",
    "something bitter and red before dinner",
    "surprise me",
    "a tequila drink with passion fruit and rosemary",
)
# A house recipe already saved that this shelf cannot pour (no violette, no maraschino).
AVIATION = {
    "name": "Aviation",
    "ingredients": [
        {"name": "Gin", "amount": 4.5, "unit": "cl"},
        {"name": "Maraschino liqueur", "amount": 1.5, "unit": "cl"},
        {"name": "Crème de violette", "amount": 1, "unit": "barspoon"},
        {"name": "Lemon juice", "amount": 1.5, "unit": "cl"},
    ],
    "steps": ["Shake with ice and strain."],
    "language": "en",
}
SETTINGS = {
    "bar_name": "Chez Marie",
    "unit_system": "cl",
    "guest_wishes_per_hour": "10",
    "ip_wishes_per_hour": "100",
    "wish_seconds": "90",
    "standard_drink_grams": "0",
}


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


@pytest.fixture
async def bar(database: Settings, fake: FakeOllama) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    await accounts.add("marie", PASSWORD)
    app = create_app(database.__class__(**{**database.__dict__, "ollama_host": fake.host}))
    async with app_client(app) as client:
        assert (await log_in(client)).status_code == 303
        yield app, client
    await app.state.jobs.shutdown()


async def test_fifteen_bottles_strict_mode_ten_drinks_all_makeable_now(
    bar: tuple[Any, httpx.AsyncClient], fake: FakeOllama
) -> None:
    app, http = bar
    await import_text(json.dumps([AVIATION]))
    # The shelf: opened once (seeded from the Aviation), then emptied to the bar's 15 bottles.
    page = (await http.get("/bar/shelf")).text
    for key in re.findall(r'name="key" value="([a-z0-9_-]+)"', page):
        await http.post("/bar/shelf/remove", data={"key": key})
    answer = await http.post("/bar/shelf/paste", data={"paste": BOTTLES})
    assert answer.status_code == 200
    shelf = {known.key for line in BOTTLES.splitlines() if (known := match(line))}
    assert len(shelf) == 15
    page = (await http.get("/bar/shelf")).text
    assert page.count('class="shelf-item') >= 15
    # "Only the shelf".
    saved = await http.post("/bar/settings", data={**SETTINGS, "shelf_mode": "strict"})
    assert saved.status_code in (200, 303), saved.text

    for text in WISHES:
        await wish(http, text)
        await finished(app)

    drinks = await Cocktail.select(Cocktail.id, Cocktail.name, Cocktail.ingredients).where(
        Cocktail.name != "Aviation"
    )
    assert len(drinks) == 10
    poured = shelf | ALWAYS_THERE
    for drink in drinks:
        names = [i["name"] for i in json.loads(drink["ingredients"])]
        assert {key_of(n) for n in names} <= poured, (drink["name"], names)
    # Every one of them is makeable now; the Aviation the shelf cannot pour is not.
    makeable = (await http.get("/cocktails", params={"makeable": "1"})).text
    linked = set(re.findall(r'href="/cocktails/([a-z0-9-]+)"', makeable))
    assert {str(d["id"]) for d in drinks} <= linked
    aviation = await Cocktail.select(Cocktail.id).where(Cocktail.name == "Aviation").first()
    assert aviation is not None and str(aviation["id"]) not in linked
    # ...and what the bartender reads on the Aviation's card: what is missing.
    everything = (await http.get("/cocktails")).text
    assert "missing" in everything.lower() and "violet" in everything.lower()
    # The grammar the fake honoured was the shelf's: its last request named only the shelf.
    body = fake.last_chat.body["format"]
    cocktail = body["anyOf"][0] if "anyOf" in body else body
    enum = cocktail["properties"]["ingredients"]["items"]["properties"]["name"]["enum"]
    assert {key_of(name) for name in enum} <= poured
