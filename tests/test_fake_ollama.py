"""The fake Ollama is only useful if it behaves like Ollama where barapp depends on it: these
tests drive it with the real clients (ollama.AsyncClient, httpx) over TCP and check what they
see, and that what its "model" writes is always a valid answer to the app's schema."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import ollama
import pytest

from barapp.wishes import prompt
from tests.fake_ollama import (
    ERR_BUSY,
    ERR_RUNNER_STOPPED,
    FakeOllama,
    Scenario,
    cocktail_document,
    conform,
    go_json,
    tokenize,
    written_whole,
)

ROOT = Path(__file__).resolve().parents[1]
# The app's own answer schema: the fake must answer what the app really asks.
SCHEMA = prompt.SCHEMA
MODEL = "llama3.1:8b"
WISH = prompt.messages("Something fresh with gin", "barapp")


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture
def fake(shared: FakeOllama) -> FakeOllama:
    shared.reset()
    return shared


@pytest.fixture
async def client(fake: FakeOllama) -> AsyncIterator[ollama.AsyncClient]:
    client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10.0, read=5.0))
    yield client
    await client._client.aclose()


async def chat(client: ollama.AsyncClient, **kwargs: Any) -> list[ollama.ChatResponse]:
    """The app's request (wishes/llm.py), with fields changed."""
    params: dict[str, Any] = {
        "model": MODEL,
        "messages": WISH,
        "stream": True,
        "format": SCHEMA,
        "think": False,
        "options": {"num_predict": 900, "temperature": 0.8},
        "keep_alive": "30m",
    }
    params.update(kwargs)
    return [chunk async for chunk in await client.chat(**params)]


def joined(chunks: list[ollama.ChatResponse]) -> str:
    return "".join(c.message.content or "" for c in chunks)


# --- the happy path, through the official client ------------------------------------------


async def test_stream_is_the_wishs_cocktail_in_token_sized_chunks(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    chunks = await chat(client)
    content = joined(chunks)
    assert content == fake.last_chat.content
    doc = json.loads(content)
    assert list(doc) == list(prompt.COCKTAIL_SCHEMA["properties"])  # in the schema's order
    assert doc == written_whole(cocktail_document("Something fresh with gin"), SCHEMA)
    assert doc["kind"] == "cocktail" and "Gin" in {i["name"] for i in doc["ingredients"]}
    # Token-sized fragments: many chunks, each short, a JSON string spread over several.
    body = chunks[:-1]
    assert len(body) > 150
    assert all(0 < len(c.message.content) <= 12 for c in body)
    assert not any(f'"{doc["name"]}"' in c.message.content for c in body)
    assert all(c.done is False and c.done_reason is None for c in body)
    assert all(c.model == MODEL for c in chunks)


def test_cocktails_vary_with_the_wish_and_always_fit_the_schema() -> None:
    wishes = [f"{mood} with {what}" for mood in ("something fresh", "a bitter drink", "surprise me")
              for what in ("gin", "rum", "mint", "no spirit in particular", "lime and honey")]  # fmt: skip
    docs = [cocktail_document(w, french=f) for w in ["", *wishes] for f in (False, True)]
    for doc in docs:
        jsonschema.validate(written_whole(doc, SCHEMA), SCHEMA)
        assert 0 < len(doc["name"]) < 60 and doc["glass"] and doc["garnish"]
        assert 3 <= len(doc["ingredients"]) <= 6 and 2 <= len(doc["steps"]) <= 5
        assert all(len(i["unit"]) <= 10 for i in doc["ingredients"])
        assert all(len(doc[k]) < 300 for k in ("description", "image_prompt"))
    assert len({d["name"] for d in docs}) > len(docs) // 3
    assert cocktail_document("a gin basil smash") == cocktail_document(" A gin BASIL smash")
    assert cocktail_document()["name"] == "Midnight Garden"  # the house classic, no wish
    # What the wish names is in the drink, in its language.
    french = cocktail_document("un cocktail frais au basilic et au rhum")
    assert {"Rhum blanc", "Basilic"} <= {i["name"] for i in french["ingredients"]}
    assert french["steps"][0].startswith("Écraser")
    virgin = cocktail_document("a virgin mojito-ish mocktail with mint, long and sparkling")
    assert virgin["alcoholic"] is False and virgin["glass"] == "Highball"
    assert virgin["ingredients"][-1] == {"name": "Soda water", "amount": None, "unit": "",
                                         "note": "top up"}  # fmt: skip


# --- the grammar: every keyword barapp sends --------------------------------------------

KEYWORDS = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["drink"]},
        "name": {"type": "string", "minLength": 3, "maxLength": 5},
        "count": {"type": "integer", "minimum": 1, "maximum": 4},
        "volume": {"type": ["number", "null"], "minimum": 0, "maximum": 10},
        "items": {
            "type": "array",
            "items": {"type": "string", "enum": ["gin", "lime juice", "mint", "ice"]},
            "minItems": 2,
            "maxItems": 3,
        },
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 2}, "maxItems": 1},
        "optional": {"type": "boolean"},
    },
    "required": ["kind", "name", "count", "volume", "items", "tags"],
}


def test_the_grammar_forces_every_keyword_barapp_sends() -> None:
    doc = {"extra": 1, "tags": ["abc", "de", "f"], "name": "ab", "count": 9, "volume": 50,
           "items": ["Fresh lime juice"], "kind": "something else"}  # fmt: skip
    forced = conform(doc, KEYWORDS)
    # The schema's order, its properties only; a required one missing is written empty, an
    # optional one missing is not written.
    assert list(forced) == ["kind", "name", "count", "volume", "items", "tags"]
    assert forced["kind"] == "drink"
    assert forced["name"] == "ab."  # padded to minLength
    assert conform({**doc, "name": "abcdefgh"}, KEYWORDS)["name"] == "abcde"  # cut to maxLength
    assert forced["count"] == 4 and conform({**doc, "count": -3}, KEYWORDS)["count"] == 1
    # llama.cpp's converter bounds integers only: a number is written as the model means it.
    assert forced["volume"] == 50
    assert conform({**doc, "volume": None}, KEYWORDS)["volume"] is None
    assert conform({**doc, "volume": "much"}, KEYWORDS)["volume"] == 0.0  # the type holds
    # The enum: the same ingredient by its knowledge-base key, then padded to minItems with
    # another value than those already written; a list cut to maxItems.
    assert forced["items"] == ["lime juice", "gin"]
    assert conform({**doc, "items": ["mint"] * 5}, KEYWORDS)["items"] == ["mint"] * 3
    assert forced["tags"] == ["ab"]
    jsonschema.validate({**forced, "volume": 5}, KEYWORDS)
    assert "optional" in conform({**doc, "optional": True}, KEYWORDS)


def test_an_enum_takes_the_nearest_value_then_an_unused_one() -> None:
    names = {"type": "array", "items": {"type": "string", "enum": ["gin", "basil", "ice"]}}
    assert conform(["Dry gin", "Basil leaves", "Crème de violette", "Yuzu"], names) == [
        "gin",  # an alias of the same ingredient (knowledge.key_of)
        "basil",
        "ice",  # nothing near: the first value not yet written
        "gin",  # all written once: the first
    ]
    garnish = {"type": "string", "enum": ["mint", "orange", ""]}
    assert conform("An orange twist", garnish) == "orange"  # a word shared
    assert conform("", garnish) == ""


def test_the_fakes_own_drinks_already_fit_the_grammar() -> None:
    for wish in ("", "something fresh with gin", "un mojito sans alcool, long", "a rum sour"):
        doc = written_whole(cocktail_document(wish), SCHEMA)
        assert conform(doc, SCHEMA) == doc


async def test_a_strict_shelf_schema_forces_a_scripted_drink_onto_the_shelf(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    from barapp.shelf.stock import Item
    from barapp.wishes import shelf_schema
    from barapp.wishes.topic import Shape

    def item(key: str, en: str, category: str = "spirit") -> Item:
        return Item(key, en, en, shelf_schema.Category(category), 40.0, frozenset(), True, False)

    shelf = shelf_schema.offer("strict", [item("gin", "gin"), item("mint", "mint", "herb")], "en")
    strict = shelf_schema.schemas(shelf)[Shape.EITHER]
    scripted = cocktail_document("a gin sour with egg white")
    scripted["ingredients"].append({"name": "Egg white", "amount": 1, "unit": "", "note": ""})
    fake.set_scenario(Scenario(content=scripted, grammar=True))
    doc = json.loads(joined(await chat(client, format=strict)))
    jsonschema.validate(doc, strict)
    assert {i["name"] for i in doc["ingredients"]} <= {"gin", "mint", "ice", "water"}
    assert doc["garnish"] in ("mint", "")
    # Without grammar=True a scripted drink is sent as written (a model without a grammar).
    fake.set_scenario(Scenario(content=scripted))
    assert "Egg white" in joined(await chat(client, format=strict))


async def test_final_chunk_carries_done_reason_and_consistent_metrics(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.set_scenario("ok", ttft=0.1, tokens_per_second=2000)
    started = time.perf_counter()
    chunks = await chat(client)
    elapsed_ns = (time.perf_counter() - started) * 1e9
    final = chunks[-1]
    assert final.done is True and final.done_reason == "stop"
    assert final.message.content == ""
    assert final.eval_count == len(chunks) - 1
    assert final.prompt_eval_count and final.prompt_eval_count > 10
    assert final.load_duration and final.load_duration > 0
    assert final.prompt_eval_duration is not None and 0.08e9 < final.prompt_eval_duration < 1e9
    assert final.eval_duration is not None and final.total_duration is not None
    expected_eval = final.eval_count / 2000 * 1e9
    assert 0.7 * expected_eval < final.eval_duration < expected_eval + 1e9
    assert final.load_duration + final.prompt_eval_duration + final.eval_duration <= (
        final.total_duration
    )
    assert final.total_duration <= elapsed_ns


async def test_records_what_the_app_sent(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    await chat(client)
    request = fake.last_chat
    assert (request.method, request.path, request.scenario, request.status) == (
        "POST",
        "/api/chat",
        "ok",
        200,
    )
    body = request.body
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["format"] == SCHEMA
    assert body["options"]["num_predict"] == 900
    assert body["keep_alive"] == "30m"
    assert body["think"] is False
    assert body["messages"] == WISH
    assert request.headers["content-type"] == "application/json"


async def test_tags_and_version(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    listed = await client.list()
    assert [m.model for m in listed.models] == ["llama3.1:8b", "qwen3:8b", "mistral:7b"]
    llama = listed.models[0]
    assert llama.size and llama.digest and len(llama.digest) == 64 and llama.modified_at
    assert llama.details and llama.details.family == "llama"
    assert llama.details.parameter_size == "8.0B" and llama.details.quantization_level == "Q4_K_M"
    async with httpx.AsyncClient(base_url=fake.url) as http:
        version = await http.get("/api/version")
        assert version.json() == {"version": "0.12.6"}
        assert version.headers["content-type"] == "application/json; charset=utf-8"
        missing = await http.get("/api/nothing")
        assert (missing.status_code, missing.text) == (404, "404 page not found")


async def test_load_only_and_unload(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    fake.set_scenario("ok", load_time=0.2)
    started = time.perf_counter()
    loaded = await client.chat(MODEL, messages=[], keep_alive="30m")  # what warm_up sends
    assert time.perf_counter() - started >= 0.18  # cold: paid the load
    assert (loaded.done, loaded.done_reason, loaded.message.content) == (True, "load", "")
    warm = (await chat(client))[-1]
    assert warm.load_duration is not None and warm.load_duration < 0.1e9  # loaded already
    assert fake.chat_requests[0].body["messages"] == []
    unloaded = await client.chat(MODEL, messages=[], keep_alive=0)
    assert unloaded.done_reason == "unload"


# --- errors before the stream: raised on the first iteration ------------------------------


async def test_unknown_or_missing_model(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    stream = await client.chat("llama9:70b", messages=WISH, stream=True)  # nothing sent yet
    with pytest.raises(ollama.ResponseError) as caught:
        await anext(stream)
    assert caught.value.status_code == 404
    assert caught.value.error == "model 'llama9:70b' not found"
    async with httpx.AsyncClient(base_url=fake.url) as http:
        response = await http.post("/api/chat", json={"messages": WISH})
    assert (response.status_code, response.json()) == (400, {"error": "model is required"})


@pytest.mark.parametrize(
    ("preset", "status", "error"),
    [
        ("not_found", 404, f"model '{MODEL}' not found"),
        ("busy", 503, ERR_BUSY),
        ("rate_limited", 429, "too many requests, please try again later"),
        ("internal_error", 500, ERR_RUNNER_STOPPED),
    ],
)
async def test_status_scenarios(
    fake: FakeOllama, client: ollama.AsyncClient, preset: str, status: int, error: str
) -> None:
    fake.set_scenario(preset)
    with pytest.raises(ollama.ResponseError) as caught:
        await chat(client)
    assert (caught.value.status_code, caught.value.error) == (status, error)


# --- failures during the stream -----------------------------------------------------------


async def test_error_line_mid_stream_is_a_response_error_without_status(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.set_scenario("error_mid_stream")
    received: list[str] = []
    with pytest.raises(ollama.ResponseError) as caught:
        async for chunk in await client.chat(MODEL, messages=WISH, stream=True, format=SCHEMA):
            received.append(chunk.message.content)
    assert caught.value.status_code == -1
    assert caught.value.error == ERR_RUNNER_STOPPED
    assert len(received) == 20
    assert fake.last_chat.status == 200


async def test_error_before_the_first_token_is_a_500(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.set_scenario(Scenario(error_after_tokens=0))
    with pytest.raises(ollama.ResponseError) as caught:
        await chat(client)
    assert caught.value.status_code == 500


async def test_reset_mid_stream_is_a_remote_protocol_error(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.set_scenario("reset")
    received = 0
    with pytest.raises(httpx.RemoteProtocolError):
        async for _ in await client.chat(MODEL, messages=WISH, stream=True):
            received += 1
    assert received == 20
    # The server itself is fine afterwards.
    fake.set_scenario("ok")
    json.loads(joined(await chat(client)))


async def test_stall_ends_in_a_read_timeout(fake: FakeOllama) -> None:
    fake.set_scenario("stall")
    client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(5.0, read=0.4))
    received = 0
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        async for _ in await client.chat(MODEL, messages=WISH, stream=True):
            received += 1
    assert received == 20
    assert 0.35 < time.perf_counter() - started < 3.0
    await client._client.aclose()


async def test_length_cuts_the_json(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    chunks = await chat(client, options={"num_predict": 25})
    assert chunks[-1].done_reason == "length" and chunks[-1].eval_count == 25
    assert len(chunks) == 26
    with pytest.raises(json.JSONDecodeError):
        json.loads(joined(chunks))
    assert fake.last_chat.content.startswith(joined(chunks))

    fake.set_scenario("length")
    chunks = await chat(client)
    assert (chunks[-1].done_reason, chunks[-1].eval_count) == ("length", 60)


async def test_content_presets(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    fake.set_scenario("invalid_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(joined(await chat(client)))

    fake.set_scenario("schema_violation")
    doc = json.loads(joined(await chat(client)))
    assert "glass" not in doc and "unit" not in doc["ingredients"][0]

    fake.set_scenario("off_topic")
    doc = json.loads(joined(await chat(client)))
    jsonschema.validate(doc, SCHEMA)
    assert doc["kind"] == "off_topic" and doc["message"] and list(doc) == ["kind", "message"]

    fake.set_scenario(Scenario(content="plain text"))
    assert joined(await chat(client)) == "plain text"


async def test_a_sequence_of_scenarios_then_the_last_one_stays(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.set_scenario("invalid_json", "busy", "ok")
    await client.chat(MODEL, messages=[])  # a load-only request does not consume the queue
    with pytest.raises(json.JSONDecodeError):
        json.loads(joined(await chat(client)))
    with pytest.raises(ollama.ResponseError):
        await chat(client)
    for _ in range(2):
        json.loads(joined(await chat(client)))
    assert [r.scenario for r in fake.chat_requests] == ["ok", "invalid_json", "busy", "ok", "ok"]


# --- the wire -----------------------------------------------------------------------------


async def test_wire_format_is_ollamas(fake: FakeOllama) -> None:
    messages = prompt.messages("un cocktail frais et pétillant", "barapp")
    body = {"model": MODEL, "messages": messages, "format": SCHEMA}
    async with (
        httpx.AsyncClient(base_url=fake.url) as http,
        http.stream("POST", "/api/chat", json=body) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.headers["transfer-encoding"] == "chunked"
        raw = b"".join([part async for part in response.aiter_raw()])
    text = raw.decode()
    assert text.endswith("}\n") and "\n\n" not in text
    lines = text.splitlines()
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in objects)
    stamp = r'"created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"'
    token_line = re.compile(
        r'\{"model":"llama3\.1:8b",' + stamp + r',"message":\{"role":"assistant","content":'
        r'"(?:[^"\\]|\\.)*"\},"done":false\}'
    )
    assert all(token_line.fullmatch(line) for line in lines[:-1])
    assert re.fullmatch(
        r'\{"model":"llama3\.1:8b",' + stamp + r',"message":\{"role":"assistant","content":""\},'
        r'"done_reason":"stop","done":true,"total_duration":\d+,"load_duration":\d+,'
        r'"prompt_eval_count":\d+,"prompt_eval_duration":\d+,"eval_count":\d+,'
        r'"eval_duration":\d+\}',
        lines[-1],
    )
    # Go's encoder: UTF-8 as is, & escaped; the model's own escapes split across chunks.
    assert "é" in text and "\\u0026" in text and "&" not in text
    fragments = [o["message"]["content"] for o in objects]
    assert "\\u00" in fragments
    assert any(f.endswith("\\") for f in fragments)
    assert go_json({"a": "<&> é"}) == '{"a":"\\u003c\\u0026\\u003e é"}'


async def test_pacing_is_streamed_not_buffered(fake: FakeOllama) -> None:
    fake.set_scenario(Scenario(content='{"name": "' + "word " * 19 + 'end"}', ttft=0.3,
                               tokens_per_second=50))  # fmt: skip
    client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10.0))
    arrivals: list[float] = []
    started = time.perf_counter()
    async for _ in await client.chat(MODEL, messages=WISH, stream=True):
        arrivals.append(time.perf_counter() - started)
    await client._client.aclose()
    tokens = len(arrivals) - 1
    assert tokens == len(tokenize(fake.last_chat.content))
    assert 0.25 < arrivals[0] < 0.9
    spread = arrivals[-2] - arrivals[0]
    assert spread > 0.7 * (tokens - 1) / 50
    assert arrivals[-1] < 0.3 + tokens / 50 + 1.5
    # Incremental: the chunks arrive over many distinct moments, not in one burst.
    assert len({round(t, 2) for t in arrivals}) > tokens // 2


def test_tokenize_round_trips_and_cuts_like_a_tokenizer() -> None:
    for text in ['{"a": "b\\"c"}', "éè \\u00e9 ok\n\n  x", "", "word " * 50, "a_b-c"]:
        assert "".join(tokenize(text)) == text
    tokens = tokenize('{"name": "Jardin de Minuit", "note": "\\u00e8"}')
    assert "\\u00" in tokens and "e8" in tokens
    assert " Minuit" in tokens


# --- driving it, and stopping it ----------------------------------------------------------


async def test_scenario_control_endpoint(fake: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        response = await http.post("/_fake/scenario", json={"scenario": ["busy", "ok"],
                                                            "tokens_per_second": 30})  # fmt: skip
        assert response.json()["queued"] == ["busy"]
        assert response.json()["tokens_per_second"] == 30
        assert (await http.post("/_fake/scenario", json={"scenario": "nope"})).status_code == 400
        assert (await http.get("/_fake/scenario")).json()["scenario"] == "ok"
    assert fake.scenario.name == "ok" and fake.scenario.tokens_per_second == 30


async def test_stop_kills_streams_then_refuses_connections() -> None:
    fake = FakeOllama("stall").start()
    client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10.0))
    stream = await client.chat(MODEL, messages=WISH, stream=True)
    await anext(stream)
    started = time.perf_counter()
    await asyncio.to_thread(fake.stop)
    assert time.perf_counter() - started < 3.0
    with pytest.raises(httpx.RemoteProtocolError):
        async for _ in stream:
            pass
    with pytest.raises(httpx.ConnectError):
        await chat(client)
    with pytest.raises(ConnectionError):
        await client.list()
    await client._client.aclose()


def test_cli_serves_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_ollama", "--port", "0", "--scenario", "ok", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(6)]
        url = re.search(r"http://127\.0\.0\.1:\d+", banner[0])
        assert url, banner
        assert httpx.get(url.group() + "/api/version").json() == {"version": "0.12.6"}
        lines = httpx.post(
            url.group() + "/api/chat", json={"model": MODEL, "messages": WISH}, timeout=10
        ).text.splitlines()
        assert json.loads(lines[-1])["done"] is True
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert any("OLLAMA_HOST=" + url.group() in line for line in banner), banner
    finally:
        if proc.poll() is None:
            proc.kill()
