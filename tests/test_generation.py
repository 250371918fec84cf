"""A wish, from the POST to the saved cocktail, against the fake Ollama over real HTTP, driven
through the real `ollama` client: the stream, every failure, resuming, stopping, the queue."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.leases import Leases
from barapp.store.tables import Cocktail, Generation
from barapp.web import sessions
from barapp.wishes.prompt import COCKTAIL_SCHEMA
from barapp.wishes.records import interrupt_orphaned_wishes
from tests.conftest import PASSWORD, app_client, log_in
from tests.fake_ollama import FakeOllama, Scenario, cocktail_document, scenario

WISH = "something fresh with gin and basil for a summer evening"


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama("ok", models=["llama3.1:8b", "qwen2.5:7b"]) as server:
        yield server


@pytest.fixture
async def wish_app(database: Settings, fake: FakeOllama) -> AsyncIterator[Any]:
    settings = dataclasses.replace(
        database, ollama_host=fake.host, ollama_stall_timeout=1.0, ollama_first_token_timeout=5.0
    )
    app = create_app(settings)
    yield app
    await app.state.jobs.shutdown()


@pytest.fixture
async def http(wish_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(wish_app, base_url="http://t") as client:
        yield client


async def wish(http: httpx.AsyncClient, text: str = WISH, model: str = "llama3.1:8b") -> str:
    response = await http.post(
        "/generate", data={"wish": text, "model": model}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200, response.text
    match = re.search(r'sse-connect="/generations/([0-9a-f-]{36})/events"', response.text)
    assert match, response.text
    return match.group(1)


async def finished(app: Any) -> None:
    tasks = list(app.state.jobs.tasks.values())
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=20)


def parse_sse(body: str) -> list[dict[str, str]]:
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            fields.setdefault(key, []).append(value)
        if "event" in fields:
            events.append(
                {
                    "id": fields.get("id", [""])[0],
                    "event": fields["event"][0],
                    "data": "\n".join(fields.get("data", [])),
                }
            )
    return events


async def events_of(http: httpx.AsyncClient, gen_id: str, last: int = 0) -> list[dict[str, str]]:
    headers = {"last-event-id": str(last)} if last else {}
    headers["accept-encoding"] = "gzip"
    response = await http.get(f"/generations/{gen_id}/events", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    # Streams are not compressed: each open one would keep a compressor in memory.
    assert "content-encoding" not in response.headers
    return parse_sse(response.text)


async def generation(gen_id: str) -> dict[str, Any]:
    row = await Generation.select().where(Generation.id == uuid.UUID(gen_id)).first()
    assert row is not None
    return dict(row)


async def test_a_wish_streams_field_by_field_and_is_saved(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    gen_id = await wish(http)
    await finished(wish_app)
    events = await events_of(http, gen_id)
    names = [e["event"] for e in events]
    assert names[-2:] == ["result", "end"]
    assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))

    expected = json.loads(fake.last_chat.content)  # the cocktail the fake made for the wish
    name_parts = [e["data"] for e in events if e["event"] == "name"]
    assert len(name_parts) >= 2  # the name appears in several steps
    assert "".join(name_parts) == expected["name"]
    ingredients = [e["data"] for e in events if e["event"] == "ingredients"]
    assert len(ingredients) == len(expected["ingredients"])  # one by one
    assert expected["ingredients"][0]["name"] in ingredients[0]
    assert len([e for e in events if e["event"] == "steps"]) == len(expected["steps"])
    # The card fills in the schema's order: the name before the first ingredient.
    assert names.index("name") < names.index("ingredients") < names.index("steps")

    cocktail = await Cocktail.select().first().output(load_json=True)
    assert cocktail["name"] == expected["name"]
    assert cocktail["llm_model"] == "llama3.1:8b"
    assert cocktail["wish"] == WISH
    assert cocktail["image_prompt"] == expected["image_prompt"]
    assert len(cocktail["ingredients"]) == len(expected["ingredients"])
    result = next(e["data"] for e in events if e["event"] == "result")
    assert f'href="/cocktails/{cocktail["id"]}"' in result

    record = await generation(gen_id)
    assert record["status"] == "done"
    assert record["cocktail"] == cocktail["id"]
    assert record["output_tokens"] and record["output_tokens"] > 10
    assert record["started_at"] <= record["first_token_at"] <= record["finished_at"]

    chat = [r for r in fake.requests if r.path == "/api/chat"][-1].body
    assert chat["model"] == "llama3.1:8b"
    assert chat["stream"] is True
    assert chat["think"] is False
    assert chat["format"] == COCKTAIL_SCHEMA  # a wish for gin and basil: the cocktail alone
    assert chat["options"]["num_predict"] == 1200
    assert chat["keep_alive"] == "30m"
    assert chat["messages"][-1] == {"role": "user", "content": WISH}

    gallery = await http.get("/cocktails")
    assert expected["name"] in gallery.text


async def test_resume_after_last_event_id_has_no_gap_and_no_duplicate(
    http: httpx.AsyncClient, wish_app: Any
) -> None:
    gen_id = await wish(http)
    await finished(wish_app)
    everything = untokened(await events_of(http, gen_id))
    for last in (1, 5, len(everything) - 1):
        rest = untokened(await events_of(http, gen_id, last=last))
        assert rest == everything[last:]


def untokened(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events without the fresh token each rendering of a wish form carries."""
    token = re.compile(r'name="form_token" value="[0-9a-f]{32}"')
    return [{**e, "data": token.sub("form_token", e["data"])} for e in events]


async def test_after_the_log_is_gone_the_stream_answers_from_the_database(
    http: httpx.AsyncClient, wish_app: Any
) -> None:
    gen_id = await wish(http)
    await finished(wish_app)
    wish_app.state.jobs.events._streams.clear()  # as after a restart
    events = await events_of(http, gen_id)
    assert [e["event"] for e in events] == ["status", "result", "end"]
    assert "/cocktails/" in events[1]["data"]
    page = await http.get(f"/generations/{gen_id}")
    assert page.status_code == 200
    assert "sse-connect" not in page.text
    assert "Your cocktail is ready." in page.text


async def test_without_javascript_the_wish_redirects_to_its_page(
    http: httpx.AsyncClient, wish_app: Any
) -> None:
    response = await http.post("/generate", data={"wish": WISH, "model": "llama3.1:8b"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/generations/[0-9a-f-]{36}", location)
    live = await http.get(location)
    assert live.status_code == 200
    await finished(wish_app)
    done = await http.get(location)
    assert "Your cocktail is ready." in done.text
    assert WISH in done.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"wish": "   ", "model": "llama3.1:8b"}, "Tell us what you would like"),
        ({"wish": "x" * 501, "model": "llama3.1:8b"}, "500 characters at most"),
        ({"wish": WISH, "model": "gpt-5"}, "This model is not offered here."),
    ],
)
async def test_a_bad_wish_is_refused_with_a_message_and_the_wish_kept(
    http: httpx.AsyncClient, form: dict[str, str], message: str
) -> None:
    response = await http.post("/generate", data=form)
    assert response.status_code == 400
    assert message in response.text
    if form["wish"].strip():
        assert f">{form['wish']}</textarea>" in response.text
    htmx = await http.post("/generate", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 400
    assert message in htmx.text
    assert "<html" not in htmx.text
    assert await Generation.count() == 0


FAILURES = [
    ("not_found", "model_not_found", "The bar's AI cannot make this one right now"),
    ("busy", "busy", "The bar's AI is busy."),
    ("internal_error", "ollama_error", "Something went wrong while making your cocktail."),
    ("error_mid_stream", "stream_error", "Something went wrong while making your cocktail."),
    ("reset", "connection_lost", "The bar's AI stopped answering midway."),
    ("stall", "stalled", "The bar's AI took too long to answer."),
    ("length", "truncated", "The bar's AI lost its thread on this one."),
    ("invalid_json", "invalid_output", "The bar's AI lost its thread on this one."),
]


@pytest.mark.parametrize(("preset", "reason", "message"), FAILURES)
async def test_every_failure_is_explained_kept_for_retry_and_saves_nothing(
    http: httpx.AsyncClient,
    wish_app: Any,
    fake: FakeOllama,
    preset: str,
    reason: str,
    message: str,
) -> None:
    fake.set_scenario(preset)
    gen_id = await wish(http)
    await finished(wish_app)
    events = await events_of(http, gen_id)
    result = next(e["data"] for e in events if e["event"] == "result")
    assert message in result
    assert "outcome-failed" in result and 'role="alert"' in result  # not a success
    assert "drink-name" not in result and "Ingredients" not in result  # no empty card
    assert "Staff only" not in result  # a guest reads guest words
    assert "Nothing half-made was saved." in result
    assert f'value="{WISH}"' in result  # one click to try again, wish kept
    assert events[-1]["event"] == "end"
    record = await generation(gen_id)
    assert record["status"] == "failed"
    assert record["reason"] == reason and record["detail"]
    assert await Cocktail.count() == 0


async def test_ollama_unreachable(database: Settings) -> None:
    app = create_app(dataclasses.replace(database, ollama_host="127.0.0.1:9"))
    async with app_client(app, "fr") as client:
        form = await client.get("/generate")
        # Said before anything is typed, in guest words, and the form is off.
        assert "L'IA du bar se repose pour le moment." in form.text
        assert '<fieldset class="wish-fields" disabled>' in form.text
        assert "127.0.0.1:9" not in form.text and "ollama" not in form.text.lower()
        assert '<option value="llama3.1:8b" selected>' in form.text  # the configured model
        gen_id = await wish(client)  # a POST still made (an old page) is told the same
        await finished(app)
        events = await events_of(client, gen_id)
    result = next(e["data"] for e in events if e["event"] == "result")
    assert "L'IA du bar se repose pour le moment : demandez au barman." in result
    assert "127.0.0.1:9" not in result and "ollama" not in result.lower()
    assert (await generation(gen_id))["reason"] == "unreachable"
    assert await Cocktail.count() == 0


async def test_a_bartender_sees_why_ollama_is_down_and_may_still_wish(database: Settings) -> None:
    from barapp.staff import accounts

    await accounts.add("marie", PASSWORD)
    app = create_app(dataclasses.replace(database, ollama_host="127.0.0.1:9"))
    async with app_client(app) as bartender:
        assert (await log_in(bartender)).status_code == 303
        form = await bartender.get("/generate")
        assert "Staff only" in form.text and "http://127.0.0.1:9" in form.text
        assert "ollama serve" in form.text
        assert '<fieldset class="wish-fields">' in form.text  # not disabled for staff
        gen_id = await wish(bartender)
        await finished(app)
        events = await events_of(bartender, gen_id)
    result = next(e["data"] for e in events if e["event"] == "result")
    assert "Staff only" in result
    assert "Ollama does not answer at http://127.0.0.1:9" in result


async def test_a_broken_answer_is_asked_again_once(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    fake.set_scenario("invalid_json", "ok")
    gen_id = await wish(http)
    await finished(wish_app)
    events = await events_of(http, gen_id)
    assert "restart" in [e["event"] for e in events]  # the card was emptied before the retry
    assert (await generation(gen_id))["status"] == "done"
    assert await Cocktail.count() == 1


async def test_an_off_topic_wish_gets_a_friendly_redirect_and_no_cocktail(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    fake.set_scenario("off_topic")
    gen_id = await wish(http, "tell me a joke")  # the model judges this one
    await finished(wish_app)
    message = json.loads(fake.last_chat.content)["message"]
    events = await events_of(http, gen_id)
    # It streams as a message where the card was, never as half a card...
    names = [e["event"] for e in events]
    assert not {"name", "glass", "ingredients", "steps", "music"} & set(names), names
    swap = next(e["data"] for e in events if e["event"] == "restart")
    assert "outcome-refused" in swap and 'sse-swap="message"' in swap
    assert "Ingredients" not in swap  # the card gave way: no empty headings
    streamed = [e["data"] for e in events if e["event"] == "message"]
    assert len(streamed) >= 2 and html.unescape("".join(streamed)) == message
    result = next(e["data"] for e in events if e["event"] == "result")
    # The end replaces the streamed box whole (sse-swap on it): the message, and what to do.
    assert 'id="drink" sse-swap="restart,result" hx-swap="outerHTML"' in swap
    assert "outcome-refused" in result and message in html.unescape(result)
    assert "/generate?wish=tell%20me%20a%20joke" in result  # the wish kept, to be changed
    record = await generation(gen_id)
    assert record["status"] == "refused" and record["detail"] == message
    assert await Cocktail.count() == 0
    # ...and the message survives a reload.
    page = await http.get(f"/generations/{gen_id}")
    assert message in html.unescape(page.text)


async def test_stop_cancels_and_keeps_the_wish(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    fake.set_scenario(scenario("ok", tokens_per_second=20))
    gen_id = await wish(http)
    await asyncio.sleep(0.5)
    response = await http.post(f"/generations/{gen_id}/stop", headers={"HX-Request": "true"})
    assert response.status_code == 204
    await finished(wish_app)
    events = await events_of(http, gen_id)
    result = next(e["data"] for e in events if e["event"] == "result")
    assert "Stopped. Your wish is kept" in result
    assert (await generation(gen_id))["status"] == "stopped"
    assert await Cocktail.count() == 0


async def test_a_stream_stopped_midway_keeps_its_first_token_and_tokens_for_the_log(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    fake.set_scenario(scenario("ok", tokens_per_second=40))
    gen_id = await wish(http)
    await asyncio.sleep(0.8)  # some 30 tokens written, of a few hundred
    await http.post(f"/generations/{gen_id}/stop", headers={"HX-Request": "true"})
    await finished(wish_app)
    record = await generation(gen_id)
    assert record["status"] == "stopped"
    assert record["started_at"] < record["first_token_at"] < record["finished_at"]
    assert record["output_tokens"] and 5 < record["output_tokens"] < 100
    assert record["prompt_tokens"] is None  # Ollama says it only at the end
    await accounts.add("marie", PASSWORD)
    await log_in(http)
    entry = (await http.get("/bar/generations")).text.split('<li class="log-entry')[1]
    first_token = re.search(r"Time to first token</dt><dd>([^<]*)</dd>", entry)
    assert first_token and first_token.group(1).endswith(" s"), entry
    assert f"— / {record['output_tokens']}</dd>" in entry


async def test_the_queue_tells_each_guest_their_place_and_refuses_past_its_length(
    database: Settings, fake: FakeOllama
) -> None:
    fake.set_scenario(scenario("ok", tokens_per_second=200))
    settings = dataclasses.replace(
        database, ollama_host=fake.host, ollama_concurrency=1, ollama_max_queue=2
    )
    app = create_app(settings)
    async with app_client(app) as client:
        ids = [await wish(client, "wish number 0")]
        await asyncio.sleep(0.3)  # the first one is with Ollama; two may wait
        ids += [await wish(client, f"wish number {i}") for i in (1, 2)]
        busy = await client.post(
            "/generate",
            data={"wish": "one more", "model": "llama3.1:8b"},
            headers={"HX-Request": "true"},
        )
        assert busy.status_code == 503
        assert "The bar is busy" in busy.text
        await finished(app)
        third = await events_of(client, ids[2])
        statuses = [e["data"] for e in third if e["event"] == "status"]
        assert any("2 wishes before yours" in s for s in statuses)
        assert any("1 wish before yours" in s for s in statuses)
        assert fake.max_active == 1  # never two at once at Ollama
        for gen_id in ids:
            assert (await generation(gen_id))["status"] == "done"
    assert await Cocktail.count() == 3


async def test_generations_left_running_by_a_crash_are_marked_interrupted(
    database: Settings,
) -> None:
    await Generation.insert(
        Generation(wish="a", model="m", status="running"),
        Generation(wish="b", model="m", status="queued"),
        Generation(wish="c", model="m", status="done"),
    )
    # No owner: rows from before leases, or of a process that lost its lease.
    await Leases(30, [interrupt_orphaned_wishes]).renew()
    rows = await Generation.select(Generation.wish, Generation.status).order_by(Generation.wish)
    assert [r["status"] for r in rows] == ["interrupted", "interrupted", "done"]


HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script><a hx-get=/x>'


async def test_a_hostile_model_is_shown_as_text_in_the_stream_and_on_every_page(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    doc = cocktail_document()
    doc.update(name=HOSTILE, description=HOSTILE, glass=HOSTILE, garnish=HOSTILE, steps=[HOSTILE])
    doc["ingredients"][0]["name"] = HOSTILE
    doc["music"] = {"title": HOSTILE, "artist": HOSTILE}
    fake.set_scenario(Scenario(content=doc))
    gen_id = await wish(http)
    await finished(wish_app)
    events = await events_of(http, gen_id)
    for event in events:
        assert "<script>" not in event["data"]
        assert "<img src=x" not in event["data"]
        assert "<a hx-get" not in event["data"]
    assert "&lt;script&gt;" in "".join(e["data"] for e in events if e["event"] == "name")
    cocktail = await Cocktail.select(Cocktail.id).first()
    for url in ("/cocktails", f"/cocktails/{cocktail['id']}", f"/generations/{gen_id}"):
        html = (await http.get(url)).text
        assert "<script>alert(2)" not in html and "<img src=x" not in html, url


async def test_a_cold_model_that_never_answers_times_out_clearly(
    database: Settings, fake: FakeOllama
) -> None:
    fake.set_scenario(scenario("ok", ttft=3.0))
    settings = dataclasses.replace(database, ollama_host=fake.host, ollama_first_token_timeout=0.5)
    app = create_app(settings)
    async with app_client(app) as client:
        gen_id = await wish(client)
        await finished(app)
        events = await events_of(client, gen_id)
    assert "took too long to answer" in next(e["data"] for e in events if e["event"] == "result")
    assert (await generation(gen_id))["reason"] == "first_token_timeout"


async def test_shutdown_marks_running_wishes_interrupted(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    fake.set_scenario(scenario("ok", tokens_per_second=20))
    gen_id = await wish(http)
    await asyncio.sleep(0.4)
    await wish_app.state.jobs.shutdown()
    record = await generation(gen_id)
    assert record["status"] == "interrupted"
    assert record["owner"] == wish_app.state.jobs.owner != ""
    events = await events_of(http, gen_id)
    assert "Your wish is kept" in next(e["data"] for e in events if e["event"] == "result")
    assert await Cocktail.count() == 0


async def test_again_reruns_the_same_wish(http: httpx.AsyncClient, wish_app: Any) -> None:
    gen_id = await wish(http, "un cocktail au basilic", model="qwen2.5:7b")
    await finished(wish_app)
    result = next(e["data"] for e in await events_of(http, gen_id) if e["event"] == "result")
    retry = result.split('<section class="rating"')[0]  # the retry form, not the stars'
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', retry))
    # A streamed fragment is rendered for its reader: the form carries their own CSRF token.
    token = http.cookies.get(sessions.COOKIE)
    assert form.pop("csrf_token") == sessions.csrf_token(wish_app.state.settings.secret_key, token)
    assert re.fullmatch("[0-9a-f]{32}", form.pop("form_token"))  # a fresh one: a new drink
    assert form == {"wish": "un cocktail au basilic", "model": "qwen2.5:7b"}
    again = await wish(http, form["wish"], form["model"])
    await finished(wish_app)
    assert again != gen_id
    assert (await generation(again))["wish"] == "un cocktail au basilic"
    assert await Cocktail.count() == 2
    slugs = sorted(r["slug"] for r in await Cocktail.select(Cocktail.slug))
    assert slugs[1] == slugs[0] + "-2"  # same name, distinct pages


async def test_warm_up_asks_ollama_to_load_the_default_model(
    database: Settings, fake: FakeOllama
) -> None:
    from barapp.wishes import llm

    await llm.warm_up(dataclasses.replace(database, ollama_host=fake.host))
    load = fake.last_chat.body
    assert load["model"] == "llama3.1:8b"
    assert load["messages"] == []
    assert load["keep_alive"] == "30m"
