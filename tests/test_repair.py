"""The model's answer is never lost to a limit: every document the schema sent to Ollama admits
is read (repaired if need be), and a bartender watching a wish gets the moderation bar."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from barapp.app import create_app
from barapp.cocktails.model import parse_record
from barapp.cocktails.repair import clean_text, repair
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.recipe import Recipe
from barapp.store.tables import Cocktail
from barapp.wishes.answer import InvalidOutput, Refusal, read_answer
from barapp.wishes.prompt import SCHEMA
from tests.conftest import PASSWORD, app_client, log_in
from tests.fake_ollama import FakeOllama, cocktail_document, scenario
from tests.test_generation import events_of, finished, wish


def pourable(document: dict[str, Any]) -> bool:
    return any(
        isinstance(item, dict) and clean_text(item.get("name")) for item in document["ingredients"]
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(from_schema(SCHEMA))
def test_every_answer_the_schema_admits_is_kept(document: dict[str, Any]) -> None:
    if document["kind"] == "cocktail" and not pourable(document):
        # The one answer nothing can repair: a cocktail whose ingredients are all blank names
        # (the grammar demands two ingredients, but a name of spaces fits it). Asked again.
        with pytest.raises(InvalidOutput):
            read_answer(document)
        return
    answer = read_answer(document)
    if document["kind"] == "off_topic":
        assert isinstance(answer, Refusal)
        return
    assert isinstance(answer, Recipe)
    # ...and what is read is a cocktail the store accepts as it is, whatever the schema let by.
    record = parse_record({**msgspec.to_builtins(answer), "wish": "w"})
    assert record.name and record.ingredients


def test_what_cannot_be_kept_as_written_is_repaired_not_lost() -> None:
    document = cocktail_document()
    document["name"] = "Very long " * 30  # 300 characters
    document["ingredients"][0]["unit"] = "cl of the best London dry gin you have"  # 38
    document["ingredients"][1]["unit"] = "x" * 40
    document["ingredients"].append(dict(document["ingredients"][0]))  # a model's repetition
    document["steps"] = []
    document["music"] = {"title": "", "artist": "Nina Simone"}
    recipe = repair(document)
    assert len(recipe.name) <= 200 and recipe.name.startswith("Very long Very long")
    assert recipe.ingredients[0].unit == ""
    assert recipe.ingredients[0].note.startswith("cl of the best London dry gin you have")
    assert recipe.ingredients[1].unit == "" and "x" * 40 in recipe.ingredients[1].note
    assert len(recipe.ingredients) == len(cocktail_document()["ingredients"])
    assert recipe.steps == []
    assert recipe.music.artist == "Nina Simone"


def test_broken_text_is_cleaned_and_a_nameless_drink_is_named() -> None:
    document = cocktail_document()
    document["name"] = "  "
    document["description"] = "Fresh\x00 and \ud800 bright"
    document["ingredients"][0]["amount"] = 1e9
    recipe = repair(document)
    assert recipe.name == "Gin & Crème de violette"
    assert recipe.description == "Fresh and \ufffd bright"
    assert recipe.ingredients[0].amount is None


def test_a_refusal_keeps_its_message_and_an_unpourable_drink_is_asked_again() -> None:
    assert read_answer({"kind": "off_topic", "message": " Let's talk cocktails! "}) == Refusal(
        "Let's talk cocktails!"
    )
    with pytest.raises(InvalidOutput):
        read_answer({**cocktail_document(), "ingredients": [{"name": " "}]})
    with pytest.raises(InvalidOutput):
        read_answer(["not", "an", "object"])


@pytest.fixture
def fake() -> Any:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


@pytest.fixture
async def wish_app(database: Settings, fake: FakeOllama) -> AsyncIterator[Any]:
    await accounts.add("marie", PASSWORD)
    app = create_app(dataclasses.replace(database, ollama_host=fake.host))
    yield app
    await app.state.jobs.shutdown()


async def test_an_answer_over_the_limits_is_saved_repaired(wish_app: Any, fake: FakeOllama) -> None:
    def oversized(body: dict[str, Any]) -> dict[str, Any]:
        document = cocktail_document()
        document["name"] = "N" * 300
        document["ingredients"][0]["unit"] = "u" * 40
        document["steps"] = []
        return document

    fake.set_scenario(scenario("ok", content=oversized))
    async with app_client(wish_app, base_url="http://t") as http:
        gen_id = await wish(http)
        await finished(wish_app)
        events = await events_of(http, gen_id)
    assert "Cheers!" in next(e["data"] for e in events if e["event"] == "result")
    (saved,) = await Cocktail.select().output(load_json=True)
    assert 100 < len(saved["name"]) <= 200
    assert saved["ingredients"][0]["unit"] == "" and "u" * 40 in saved["ingredients"][0]["note"]
    assert saved["steps"] == []


async def test_a_bartender_gets_the_moderation_bar_on_the_live_card(wish_app: Any) -> None:
    async with (
        app_client(wish_app, base_url="http://t") as bartender,
        app_client(wish_app, base_url="http://t", lang="fr") as guest,
    ):
        assert (await log_in(bartender)).status_code == 303
        gen_id = await wish(guest)  # a guest's wish, which a bartender watches
        await finished(wish_app)
        as_bartender = await events_of(bartender, gen_id)
        as_guest = await events_of(guest, gen_id)
    result = next(e["data"] for e in as_bartender if e["event"] == "result")
    assert 'class="moderation moderation-card"' in result
    assert re.search(r'name="csrf_token" value="[0-9a-f]{64}"', result)
    # The same events, rendered for the guest reading French: no moderation, their language.
    guest_result = next(e["data"] for e in as_guest if e["event"] == "result")
    assert "moderation" not in guest_result
    assert "Santé" in guest_result or "Votre cocktail" in guest_result
    assert [e["event"] for e in as_guest] == [e["event"] for e in as_bartender]


async def test_live_ingredients_follow_the_bars_units_and_the_late_stream_the_reader(
    wish_app: Any,
) -> None:
    await wish_app.state.bar_settings.save({"unit_system": "oz"})
    async with app_client(wish_app, base_url="http://t") as bartender:
        assert (await log_in(bartender)).status_code == 303
        gen_id = await wish(bartender)
        await finished(wish_app)
        events = await events_of(bartender, gen_id)
        ingredients = [e["data"] for e in events if e["event"] == "ingredients"]
        assert ingredients and "oz</span>" in ingredients[0] and " cl<" not in ingredients[0]
        # Once the log is gone (a restart), the stream is answered from the database, through
        # the same renderer: still the bartender's view.
        wish_app.state.jobs.events._streams.clear()
        late = await events_of(bartender, gen_id)
    assert [e["event"] for e in late] == ["status", "result", "end"]
    assert 'class="moderation moderation-card"' in late[1]["data"]


def _bounded(schema: Any, path: str = "$") -> list[str]:
    """Where the schema leaves the grammar unbounded: a string without maxLength, a list
    without minItems and maxItems, a number without minimum and maximum."""
    missing: list[str] = []
    for option in schema.get("anyOf", ()):
        missing += _bounded(option, path)
    kinds = schema.get("type")
    kinds = set(kinds if isinstance(kinds, list) else [kinds])
    if "string" in kinds and "enum" not in schema and "maxLength" not in schema:
        missing.append(path)
    if "number" in kinds and not {"minimum", "maximum"} <= set(schema):
        missing.append(path)
    if "array" in kinds:
        if not {"minItems", "maxItems"} <= set(schema):
            missing.append(path)
        missing += _bounded(schema["items"], f"{path}[]")
    for name, sub in schema.get("properties", {}).items():
        missing += _bounded(sub, f"{path}.{name}")
    return missing


def test_the_schema_tells_the_grammar_every_limit_and_asks_no_more_than_the_bar_keeps() -> None:
    from barapp.wishes.prompt import COCKTAIL_SCHEMA

    assert _bounded(SCHEMA) == []
    recipe = COCKTAIL_SCHEMA["properties"]
    # Tighter than what the store keeps (so an answer that fits the grammar is kept as written)
    # and modest (llama.cpp writes one grammar rule per step of a bounded repetition).
    assert recipe["name"] == {"type": "string", "maxLength": 80, "minLength": 1}
    assert recipe["ingredients"]["minItems"] == 2 and recipe["steps"]["minItems"] == 1
    lengths = [
        int(n) for n in re.findall(r'"maxLength":(\d+)', msgspec.json.encode(SCHEMA).decode())
    ]
    assert len(lengths) >= 10 and max(lengths) <= 400
    # The longest answer the grammar admits is kept as written, not trimmed.
    document = cocktail_document()
    for key, sub in recipe.items():
        if "maxLength" in sub:
            document[key] = "é" * sub["maxLength"]
    item = recipe["ingredients"]["items"]["properties"]
    document["ingredients"] = [
        {"name": f"{n:02}" * (item["name"]["maxLength"] // 2), "amount": 1000.0,
         "unit": "u" * item["unit"]["maxLength"], "note": "n" * item["note"]["maxLength"]}
        for n in range(recipe["ingredients"]["maxItems"])
    ]  # fmt: skip
    steps = recipe["steps"]
    document["steps"] = [f"{n}" * steps["items"]["maxLength"] for n in range(steps["maxItems"])]
    assert msgspec.to_builtins(repair(document)) == {
        key: document[key] for key in msgspec.structs.asdict(repair(document))
    }
