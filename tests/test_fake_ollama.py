"""The fake Ollama is only useful if it behaves like Ollama: these tests drive it with the real
clients (ollama.AsyncClient, httpx) over TCP and check what they see."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import ollama
import pytest

from barapp.wishes import prompt
from tests.fake_ollama import (
    ERR_BUSY,
    ERR_RUNNER_STOPPED,
    PRESETS,
    FakeOllama,
    Scenario,
    cocktail_document,
    go_json,
    parse_keep_alive,
    scenario,
    tokenize,
)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

# The app's own answer schema: the fake must answer what the app really asks.
SCHEMA = prompt.SCHEMA
MODEL = "llama3.1:8b"
WISH = [
    {"role": "system", "content": "You are the head bartender. Answer with JSON only."},
    {"role": "user", "content": "Something fresh with gin"},
]


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
    params: dict[str, Any] = {
        "model": MODEL,
        "messages": WISH,
        "stream": True,
        "format": SCHEMA,
        "think": False,
        "options": {"temperature": 0.7, "num_predict": 900, "num_ctx": 8192},
        "keep_alive": "30m",
    }
    params.update(kwargs)
    return [chunk async for chunk in await client.chat(**params)]


def joined(chunks: list[ollama.ChatResponse]) -> str:
    return "".join(c.message.content or "" for c in chunks)


# --- the happy path, through the official client ------------------------------------------


async def test_stream_is_the_scenario_content_and_valid_json(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    chunks = await chat(client)
    content = joined(chunks)
    assert content == fake.last_chat.content
    doc = json.loads(content)
    assert list(doc) == list(SCHEMA["properties"])  # written in the schema's order
    assert doc["kind"] == "cocktail" and doc["name"] == "Jardin de Minuit"
    assert {"leaves", "dash"} <= {i["unit"] for i in doc["ingredients"]}
    assert doc == cocktail_document()
    # Token-sized fragments: many chunks, each short, a JSON string spread over several.
    body = chunks[:-1]
    assert len(body) > 150
    assert all(0 < len(c.message.content) <= 12 for c in body)
    assert not any('"Jardin de Minuit"' in c.message.content for c in body)
    assert all(c.done is False and c.done_reason is None for c in body)
    assert all(c.model == MODEL for c in chunks)


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


async def test_non_streaming_chat_is_one_object(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    response = await client.chat(MODEL, messages=WISH, format=SCHEMA, think=False, stream=False)
    assert response.done is True and response.done_reason == "stop"
    assert response.message.content == fake.last_chat.content
    json.loads(response.message.content)
    assert response.eval_count and response.eval_count > 150


async def test_french_wish_gets_a_french_answer(client: ollama.AsyncClient) -> None:
    messages = [{"role": "user", "content": "Je voudrais un cocktail frais avec du gin"}]
    doc = json.loads(joined(await chat(client, messages=messages)))
    assert doc == cocktail_document(french=True)
    assert "Crème de violette" in {i["name"] for i in doc["ingredients"]}


# --- models -------------------------------------------------------------------------------


async def test_list_show_and_ps(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    listed = await client.list()
    names = [m.model for m in listed.models]
    assert set(names) == {"llama3.1:8b", "qwen3:8b", "mistral:7b"}
    llama = next(m for m in listed.models if m.model == MODEL)
    assert llama.size and llama.digest and len(llama.digest) == 64 and llama.modified_at
    assert llama.details and llama.details.family == "llama"
    assert llama.details.parameter_size == "8.0B" and llama.details.quantization_level == "Q4_K_M"

    shown = await client.show(MODEL)
    assert shown.capabilities == ["completion", "tools"]
    assert shown.modelinfo and shown.modelinfo["llama.context_length"] == 131072
    with pytest.raises(ollama.ResponseError) as caught:
        await client.show("nope:1b")
    assert caught.value.status_code == 404 and caught.value.error == "model 'nope:1b' not found"

    assert (await client.ps()).models == []
    await chat(client)
    loaded = (await client.ps()).models
    assert [m.model for m in loaded] == [MODEL]
    assert loaded[0].expires_at and loaded[0].size_vram


async def test_load_only_and_unload(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    fake.set_scenario("ok", load_time=0.2)
    started = time.perf_counter()
    loaded = await client.chat(MODEL, messages=[], keep_alive="30m")
    assert time.perf_counter() - started >= 0.18  # cold: paid the load
    assert (loaded.done, loaded.done_reason, loaded.message.content) == (True, "load", "")
    assert [m.model for m in (await client.ps()).models] == [MODEL]
    started = time.perf_counter()
    await chat(client)
    assert time.perf_counter() - started < 2.0
    assert fake.chat_requests[0].body["messages"] == []

    unloaded = await client.chat(MODEL, messages=[], keep_alive=0)
    assert unloaded.done_reason == "unload"
    assert (await client.ps()).models == []


# --- errors before the stream: raised on the first iteration ------------------------------


async def test_unknown_model_is_a_404_raised_on_first_iteration(
    client: ollama.AsyncClient,
) -> None:
    stream = await client.chat("llama9:70b", messages=WISH, stream=True)  # nothing sent yet
    with pytest.raises(ollama.ResponseError) as caught:
        await anext(stream)
    assert caught.value.status_code == 404
    assert caught.value.error == "model 'llama9:70b' not found"


@pytest.mark.parametrize(
    ("preset", "status", "error"),
    [
        ("not_found", 404, f"model '{MODEL}' not found"),
        ("busy", 503, ERR_BUSY),
        ("rate_limited", 429, None),
        ("internal_error", 500, ERR_RUNNER_STOPPED),
        ("bad_request", 400, "model is required"),
    ],
)
async def test_status_scenarios(
    fake: FakeOllama, client: ollama.AsyncClient, preset: str, status: int, error: str | None
) -> None:
    fake.set_scenario(preset)
    with pytest.raises(ollama.ResponseError) as caught:
        await chat(client)
    assert caught.value.status_code == status
    if error:
        assert caught.value.error == error
    with pytest.raises(ollama.ResponseError) as caught:
        await client.chat(MODEL, messages=WISH, stream=False)
    assert caught.value.status_code == status


async def test_think_true_on_a_model_that_cannot_think_is_400(
    client: ollama.AsyncClient,
) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        await chat(client, think=True)
    assert caught.value.status_code == 400
    assert caught.value.error == '"llama3.1:8b" does not support thinking'


async def test_thinking_model_thinks_unless_told_not_to(client: ollama.AsyncClient) -> None:
    chunks = await chat(client, model="qwen3:8b", think=None)
    thinking = "".join(c.message.thinking or "" for c in chunks)
    assert thinking.startswith("The guest wants")
    first_content = next(i for i, c in enumerate(chunks) if c.message.content)
    assert all(c.message.thinking for c in chunks[:first_content])
    json.loads(joined(chunks))
    assert chunks[-1].eval_count == len(chunks) - 1

    chunks = await chat(client, model="qwen3:8b", think=False)
    assert not any(c.message.thinking for c in chunks)


async def test_missing_model_and_bad_bodies(fake: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        response = await http.post("/api/chat", json={"messages": WISH})
        assert (response.status_code, response.json()) == (400, {"error": "model is required"})
        response = await http.post("/api/chat")
        assert (response.status_code, response.json()) == (400, {"error": "missing request body"})
        response = await http.post("/api/chat", json={"model": MODEL, "keep_alive": "soon"})
        assert response.status_code == 400
        assert response.json() == {"error": 'time: invalid duration "soon"'}
        response = await http.get("/api/chat")
        assert response.status_code == 405
        response = await http.get("/api/nothing")
        assert (response.status_code, response.text) == (404, "404 page not found")


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
    assert doc["kind"] == "off_topic" and doc["message"] and doc["name"] == ""
    assert doc["ingredients"] == [] and doc["music"] == {"title": "", "artist": ""}

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
    body = {"model": MODEL, "messages": WISH, "format": SCHEMA}
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
    assert "è" in text and "\\u0026" in text and "&" not in text
    fragments = [o["message"]["content"] for o in objects]
    assert "\\u00" in fragments
    assert any(f.endswith("\\") for f in fragments)


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


async def test_concurrent_streams_and_num_parallel() -> None:
    with FakeOllama(scenario("ok", ttft=0.1, tokens_per_second=200), num_parallel=1,
                    max_queue=1) as fake:  # fmt: skip
        client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10.0))
        short = Scenario(content='{"a": 1}', ttft=0.2)
        fake.set_scenario(short)

        async def one() -> str | int:
            try:
                return joined(await chat(client))
            except ollama.ResponseError as exc:
                return exc.status_code

        first = asyncio.create_task(one())
        await asyncio.sleep(0.05)
        second = asyncio.create_task(one())
        await asyncio.sleep(0.05)
        third = await one()  # one running, one waiting: the queue is full
        assert third == 503
        assert await first == await second == '{"a": 1}'
        assert fake.max_active == 1
        await client._client.aclose()


async def test_version_and_root(fake: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        version = await http.get("/api/version")
        assert version.json() == {"version": "0.12.6"}
        assert version.headers["content-type"] == "application/json; charset=utf-8"
        assert (await http.get("/")).text == "Ollama is running"


async def test_scenario_control_endpoint(fake: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        response = await http.post("/_fake/scenario", json={"scenarios": ["busy", "ok"]})
        assert response.json()["queued"] == ["busy"]
        assert (await http.post("/_fake/scenario", json={"scenario": "nope"})).status_code == 400
    assert fake.scenario.name == "ok"


# --- lifecycle ----------------------------------------------------------------------------


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
        await client.chat(MODEL, messages=WISH, stream=False)
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
        proc.send_signal(__import__("signal").SIGINT)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert any("OLLAMA_HOST=" + url.group() in line for line in banner), banner
    finally:
        if proc.poll() is None:
            proc.kill()


# --- pieces -------------------------------------------------------------------------------


def test_tokenize_round_trips_and_cuts_like_a_tokenizer() -> None:
    for text in ['{"a": "b\\"c"}', "éè \\u00e9 ok\n\n  x", "", "word " * 50, "a_b-c"]:
        assert "".join(tokenize(text)) == text
    tokens = tokenize('{"name": "Jardin de Minuit", "note": "\\u00e8"}')
    assert "\\u00" in tokens and "e8" in tokens
    assert " Minuit" in tokens


def test_go_json_and_keep_alive() -> None:
    assert go_json({"a": "<&> é"}) == '{"a":"\\u003c\\u0026\\u003e é"}'
    assert parse_keep_alive("30m") == 1800
    assert parse_keep_alive("1h30m") == 5400
    assert parse_keep_alive(-1) == float("inf")
    assert parse_keep_alive(0) == parse_keep_alive("0") == 0
    assert parse_keep_alive(None) is None
    with pytest.raises(ValueError):
        parse_keep_alive("soon")


def test_presets_cover_the_failure_modes() -> None:
    assert {
        "ok",
        "slow",
        "not_found",
        "busy",
        "error_mid_stream",
        "reset",
        "stall",
        "invalid_json",
        "schema_violation",
        "length",
        "off_topic",
    } <= set(PRESETS)
    assert scenario("ok", ttft=1).ttft == 1
    with pytest.raises(ValueError):
        scenario("nope")


async def test_conftest_fixture(fake_ollama: FakeOllama) -> None:
    client = ollama.AsyncClient(host=fake_ollama.host, timeout=httpx.Timeout(10.0))
    assert json.loads(joined(await chat(client)))["kind"] == "cocktail"
    assert fake_ollama.last_chat.body["model"] == MODEL
    await client._client.aclose()
