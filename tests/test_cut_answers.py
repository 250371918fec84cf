"""No drink lost to a model that loops, is cut off, or takes too long: what can be poured is
kept, the rest is asked once more with other sampling, all within the bar's time for a wish."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Cocktail, Generation
from barapp.wishes.jsonstream import JSONStream
from barapp.wishes.loops import LoopGuard
from tests.conftest import PASSWORD, app_client, log_in
from tests.fake_ollama import FakeOllama, Scenario, cocktail_document, dump_document, tokenize
from tests.test_generation import events_of, finished, wish


def looping_document() -> dict[str, Any]:
    document = cocktail_document("gin and basil")
    lime = {"name": "Lime juice", "amount": 2, "unit": "cl", "note": ""}
    document["ingredients"] = document["ingredients"][:2] + [lime] * 10
    return document


def tokens_until(document: dict[str, Any], marker: str) -> int:
    """How many of the fake's tokens the answer takes up to (not including) `marker`."""
    text, written = dump_document(document), ""
    for count, token in enumerate(tokenize(text)):
        if marker in written + token:
            return count
        written += token
    raise AssertionError(marker)


@pytest.fixture
def fake() -> Any:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


@pytest.fixture
async def app(database: Settings, fake: FakeOllama) -> AsyncIterator[Any]:
    settings = dataclasses.replace(database, ollama_host=fake.host, ollama_stall_timeout=2.0)
    app = create_app(settings)
    yield app
    await app.state.jobs.shutdown()


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, base_url="http://t") as client:
        yield client


async def only_generation() -> dict[str, Any]:
    row = await Generation.select().first()
    assert row is not None
    return dict(row)


def test_the_guard_sees_repeats_and_endless_lists() -> None:
    text = json.dumps(looping_document())
    parser, guard = JSONStream(), LoopGuard()
    looped_at = None
    for end in range(0, len(text), 5):
        if guard.looping(parser.feed(text[end : end + 5])):
            looped_at = end
            break
    assert looped_at is not None
    assert len(parser.partial()["ingredients"]) >= 7  # two, the lime, four more limes (+ the next)
    assert not LoopGuard().looping(JSONStream().feed(json.dumps(cocktail_document("x"))))
    long = {"ingredients": [{"name": f"Bitters no. {n}"} for n in range(41)]}
    assert LoopGuard().looping(JSONStream().feed(json.dumps(long)))


def test_partial_is_what_is_written_so_far() -> None:
    parser = JSONStream()
    parser.feed('{"name": "Gin Sour", "ingredients": [{"name": "Gin", "amount": 5}, {"name": "Li')
    partial = {"name": "Gin Sour", "ingredients": [{"name": "Gin", "amount": 5}, {}]}
    assert parser.partial() == partial  # the open ingredient has no complete member yet
    assert parser.partial() == parser.partial()  # reading it changes nothing
    parser.feed('me"}], "steps": ["Shake."]}')
    assert parser.partial() == parser.close()
    assert JSONStream().partial() is None


async def test_a_looping_answer_is_stopped_early_and_asked_again_otherwise(
    http: httpx.AsyncClient, app: Any, fake: FakeOllama
) -> None:
    looping = looping_document()
    fake.set_scenario(Scenario(content=looping, tokens_per_second=400), "ok")
    gen_id = await wish(http)
    await finished(app)
    first, second = fake.chat_requests
    assert first.body["options"]["temperature"] == 0.8
    assert second.body["options"]["temperature"] < 0.8 and second.body["options"]["repeat_penalty"]
    # The retry is told what went wrong (the grammar cannot forbid repeats).
    assert "again and again" not in first.body["messages"][-1]["content"]
    assert "again and again" in second.body["messages"][-1]["content"]
    events = [e["event"] for e in await events_of(http, gen_id)]
    restart = events.index("restart")
    # Stopped at the fourth repeated lime, before the ten the model meant to write.
    assert events[:restart].count("ingredients") == 7
    record = await only_generation()
    assert record["status"] == "done"
    cocktail = await Cocktail.select().first().output(load_json=True)
    assert cocktail["name"] == json.loads(fake.last_chat.content)["name"]


async def test_an_answer_cut_after_its_steps_is_kept_not_asked_again(
    http: httpx.AsyncClient, app: Any, fake: FakeOllama
) -> None:
    document = cocktail_document("gin and basil")
    fake.set_scenario(Scenario("length", max_tokens=tokens_until(document, '"music"')))
    await wish(http, "gin and basil")
    await finished(app)
    assert len(fake.chat_requests) == 1
    record = await only_generation()
    assert record["status"] == "done" and record["reason"] == "truncated"
    kept = f"kept {len(document['ingredients'])} ingredients, {len(document['steps'])} steps"
    assert record["detail"].startswith(kept)
    cocktail = await Cocktail.select().first().output(load_json=True)
    assert cocktail["steps"] == document["steps"] and cocktail["music_title"] == ""
    # The bartenders' log says what happened, among what went wrong.
    await accounts.add("marie", PASSWORD)
    await log_in(http, "marie")
    log = (await http.get("/bar/generations")).text
    assert "truncated" in log and kept in log


async def test_an_answer_cut_before_it_can_be_poured_is_asked_again_then_fails(
    http: httpx.AsyncClient, app: Any, fake: FakeOllama
) -> None:
    document = cocktail_document("gin and basil")
    fake.set_scenario(Scenario("length", max_tokens=tokens_until(document, '"steps"')))
    await wish(http, "gin and basil")
    await finished(app)
    assert len(fake.chat_requests) == 2
    record = await only_generation()
    assert record["status"] == "failed" and record["reason"] == "truncated"
    assert await Cocktail.count() == 0


async def test_the_bars_time_for_a_wish_bounds_both_tries(
    database: Settings, fake: FakeOllama
) -> None:
    fake.set_scenario(Scenario(tokens_per_second=15))
    settings = dataclasses.replace(database, ollama_host=fake.host, wish_seconds=1)
    app = create_app(settings)
    try:
        async with app_client(app, base_url="http://t") as client:
            gen_id = await wish(client)
            await finished(app)
            events = await events_of(client, gen_id)
    finally:
        await app.state.jobs.shutdown()
    record = await only_generation()
    assert record["status"] == "failed" and record["reason"] == "too_slow"
    assert len(fake.chat_requests) == 1  # no time was left for a retry
    seconds = (record["finished_at"] - record["started_at"]).total_seconds()
    assert 1.0 <= seconds < 2.0
    result = next(e["data"] for e in events if e["event"] == "result")
    assert "took too long on this one" in result


async def test_each_wish_is_offered_the_answer_shapes_its_words_allow(
    http: httpx.AsyncClient, app: Any, fake: FakeOllama
) -> None:
    from barapp.wishes.prompt import COCKTAIL_SCHEMA, SCHEMA

    fake.set_scenario("off_topic", "ok", "ok")  # the model would refuse them all
    ids = []
    for text in ("something fresh with gin and cucumber", "what is the capital of Peru?"):
        ids.append(await wish(http, text))
        await finished(app)
    fake.set_scenario("ok")
    ids.append(await wish(http, "tell me about yourself"))
    await finished(app)
    # Gin is sent the cocktail's shape alone (the grammar cannot refuse it); the capital of
    # Peru is not sent at all; the rest is the model's call.
    assert [request.body["format"] for request in fake.chat_requests] == [COCKTAIL_SCHEMA, SCHEMA]
    rows = {str(r["id"]): r for r in await Generation.select()}
    assert [rows[i]["status"] for i in ids] == ["done", "refused", "done"]
    page = (await http.get(f"/generations/{ids[1]}")).text  # the bar's redirect, on a reload
    assert "We only talk cocktails here!" in page
